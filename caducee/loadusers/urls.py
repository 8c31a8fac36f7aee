from django.urls import URLPattern, URLResolver, path

import caducee.loadusers.views as views

app_name = "loadusers"
urlpatterns: list[URLPattern | URLResolver] = [
    path("loadusers/modele.<str:fmt>", views.template_download, name="template"),
    path("structures/<int:structure_id>/import/", views.import_start, name="import"),
    path(
        "structures/<int:structure_id>/import/<int:job_id>/",
        views.job_page,
        name="job",
    ),
    path(
        "structures/<int:structure_id>/import/<int:job_id>/progression",
        views.job_progress,
        name="job_progress",
    ),
    path(
        "structures/<int:structure_id>/import/<int:job_id>/confirmer",
        views.job_confirm,
        name="job_confirm",
    ),
    path(
        "structures/<int:structure_id>/import/<int:job_id>/compte-rendu.<str:fmt>",
        views.job_report,
        name="job_report",
    ),
    path(
        "structures/<int:structure_id>/export.<str:fmt>",
        views.export_download,
        name="export",
    ),
]
