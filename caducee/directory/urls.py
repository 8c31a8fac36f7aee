from django.urls import path

from caducee.directory import views

app_name = "directory"

_S = "structures/<int:structure_id>/"

urlpatterns = [
    path("", views.search, name="search"),
    path("autocompletion/", views.autocomplete, name="autocomplete"),
    path("liste-rouge/", views.my_listing, name="my_listing"),
    path(_S + "informations-mssante/", views.quota_page, name="quotas"),
    path(_S + "rapport-alimentation/", views.report, name="report"),
    path(_S + "correspondances/", views.correspondences, name="correspondences"),
    path(_S + "publication/<str:fmt>/", views.export, name="export"),
    path(_S + "publication-nationale/", views.push_page, name="push"),
    path(_S + "comptes/<int:account_id>/mssante/", views.address, name="address"),
]
