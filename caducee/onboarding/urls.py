"""« Demande de raccordement »: the public form (/inscription/raccordement/) and the
service centre's queue in the console (/console/raccordements/)."""

from django.urls import path

from caducee.onboarding import views

app_name = "onboarding"

_R = "console/raccordements/<int:request_id>/"

urlpatterns = [
    path("inscription/raccordement/", views.request_form, name="request"),
    path("inscription/raccordement/envoyee/", views.request_sent, name="request_sent"),
    path("console/raccordements/", views.queue, name="queue"),
    path(_R, views.detail, name="detail"),
    path(_R + "prendre/", views.take, name="take"),
    path(_R + "repondre/", views.answer, name="answer"),
    path(_R + "structure/", views.create_structure, name="create_structure"),
]
