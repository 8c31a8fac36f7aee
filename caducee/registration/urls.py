"""« Créer un compte » (public, /inscription/…) and the service centre's queue
(/console/inscriptions/…)."""

from django.urls import path

from caducee.registration import views

app_name = "registration"
_R = "console/inscriptions/<int:request_id>/"

urlpatterns = [
    path("inscription/", views.start, name="start"),
    path("inscription/type/", views.choice, name="choice"),
    path("inscription/organisation/", views.org_question, name="org_question"),
    path("inscription/organisation/compte/", views.org_prove, name="org_prove"),
    path("inscription/organisation/sans-compte/", views.org_email, name="org_email"),
    path("inscription/individuel/", views.per_email, name="per_email"),
    path("inscription/code/", views.code, name="code"),
    path("inscription/code/renvoyer/", views.code_resend, name="code_resend"),
    path("inscription/formulaire/", views.form, name="form"),
    path("inscription/envoyee/", views.done, name="done"),
    path("inscription/corriger/<str:token>/", views.correct, name="correct"),
    path("console/inscriptions/", views.queue, name="queue"),
    path(_R, views.detail, name="detail"),
    path(_R + "valider/", views.validate, name="validate"),
    path(_R + "rejeter/", views.reject, name="reject"),
    path(_R + "correction/", views.correction, name="correction"),
]
