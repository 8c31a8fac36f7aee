"""Top-level URL map."""

from django.urls import include, path
from django.views.generic import RedirectView

from caducee.api.main import api
from caducee.mail import pwa

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:home", permanent=False)),
    path("", include("caducee.identity.urls")),
    path("", include("caducee.accounts.urls")),
    path("", include("caducee.onboarding.urls")),  # Issue #16: onboarding
    path("console/", include("caducee.console.urls")),
    path("console/", include("caducee.loadusers.urls")),
    path("console/", include("caducee.exports.urls")),
    path("console/", include("caducee.lifecycle.urls")),
    path("annuaire/", include("caducee.directory.urls")),
    path("messagerie/", include("caducee.mail.urls")),
    path("coordination/", include("caducee.coordination.urls")),
    path("", include("caducee.registration.urls")),  # Issue #16: « Créer un compte »
    path("api/v1/", api.urls),
    path("favicon.ico", pwa.favicon),  # asked for by browsers on pages without an icon link
]

handler404 = "caducee.console.errors.not_found"
handler500 = "caducee.console.errors.server_error"
handler403 = "caducee.console.errors.forbidden"
handler400 = "caducee.console.errors.bad_request"
