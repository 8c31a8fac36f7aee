from django.urls import path

from caducee.exports import views

app_name = "exports"
urlpatterns = [
    path("exports/", views.mine, name="mine"),
    path("exports/<int:export_id>/fichier", views.download, name="download"),
]
