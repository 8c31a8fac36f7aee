"""Console home."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from caducee.structures.access import structures_for_admin


@login_required
def home(request: HttpRequest) -> HttpResponse:
    structures = structures_for_admin(request.user)  # type: ignore[arg-type]
    return render(request, "console/home.html", {"structures": structures})
