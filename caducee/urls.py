"""Top-level URL map."""

from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:home", permanent=False)),
    path("", include("caducee.identity.urls")),
    path("console/", include("caducee.console.urls")),
]

handler404 = "caducee.console.errors.not_found"
handler500 = "caducee.console.errors.server_error"
handler403 = "caducee.console.errors.forbidden"
handler400 = "caducee.console.errors.bad_request"
