"""« Domaines MSSanté » (operator): the platform's domains, and declaring a shared one
(issue #16, point 4; structures/domains.py)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from caducee.console.decorators import console_view, require_operator
from caducee.console.forms import DomainForm
from caducee.core.errors import Invalid
from caducee.core.web import web_context
from caducee.structures.domains import list_domains
from caducee.structures.operations import declare_domain


@console_view
@require_http_methods(["GET", "POST"])
def domain_list(request: HttpRequest) -> HttpResponse:
    require_operator(request)
    form = DomainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            domain = declare_domain(
                web_context(request), form.cleaned_data["name"], shared=form.cleaned_data["shared"]
            )
        except Invalid as exc:
            for problem in exc.problems or []:
                form.add_error("name" if problem.field == "name" else None, problem.message)
            if not exc.problems:
                form.add_error(None, exc.message)
        else:
            kind = "partagé" if domain.shared else "non partagé"
            messages.success(request, f"Le domaine {domain.name} ({kind}) est déclaré.")
            return redirect("console:domains")
    return render(request, "console/domains/list.html", {"form": form, "rows": list_domains()})
