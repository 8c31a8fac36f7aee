from django.urls import URLPattern, URLResolver, path

from caducee.mail import pwa, settings_views, views

app_name = "mail"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("message/<int:message_id>/", views.read_view, name="read"),
    path(
        "message/<int:message_id>/piece/<int:index>/",
        views.attachment_view,
        name="attachment",
    ),
    path("dossiers/<int:folder_id>/", views.folder_edit_view, name="folder_edit"),
    path("mots-de-passe-application/", views.app_passwords_view, name="app_passwords"),
    path("parametres/", settings_views.settings_view, name="settings"),
    path("autocompletion/", views.autocomplete_view, name="autocomplete"),
    # Issue #18 point 5: the installable web app's manifest (public, no object).
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("<str:space>/nouveau/", views.compose_view, name="compose"),
    path("<str:space>/vider-corbeille/", views.empty_trash_view, name="empty_trash"),
    path("<str:space>/nouveau-dossier/", views.folder_create_view, name="folder_create"),
    path("<str:space>/<str:folder>/", views.folder_view, name="folder"),
    path("<str:space>/<str:folder>/action/", views.action_view, name="action"),
]
