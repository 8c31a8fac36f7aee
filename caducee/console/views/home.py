"""Console home: the operator's structure list, or the structures an admin picks from."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from caducee.console.decorators import console_view, person
from caducee.registration.rules import is_centre
from caducee.structures.access import structures_for_admin


@console_view
def home(request: HttpRequest) -> HttpResponse:
    user = person(request)
    if user.is_active and user.is_operator:
        return redirect("console:structures")
    structures = list(structures_for_admin(user))
    if not structures and is_centre(user):  # issue #16: the service centre's queue
        return redirect("registration:queue")
    if not structures:
        return render(request, "console/no_access.html", status=403)
    if len(structures) == 1:
        return redirect("console:structure", structures[0].pk)
    return render(request, "console/home.html", {"structures": structures})
