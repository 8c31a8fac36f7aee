from django.urls import path

from caducee.accounts import views

app_name = "accounts"
urlpatterns = [
    path(
        "changement-mail/<str:token>/",
        views.email_change_confirm_view,
        name="email_change_confirm",
    ),
    path("securite/adresse-mail/", views.my_email_view, name="my_email"),
    path("securite/adresse-mail/annuler/", views.my_email_cancel_view, name="my_email_cancel"),
]
