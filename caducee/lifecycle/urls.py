from django.urls import path

from caducee.lifecycle import views

app_name = "lifecycle"
urlpatterns = [
    path(
        "structures/<int:structure_id>/utilisateurs/<int:account_id>/exemption-inactivite/",
        views.exempt,
        name="exempt",
    ),
    path(
        "structures/<int:structure_id>/utilisateurs/<int:account_id>/exemption-inactivite/retrait/",
        views.unexempt,
        name="unexempt",
    ),
    path(
        "structures/<int:structure_id>/utilisateurs/inactifs.<str:fmt>",
        views.export,
        name="export",
    ),
]
