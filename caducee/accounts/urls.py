from django.urls import path

from caducee.accounts import views

app_name = "accounts"
urlpatterns = [
    path(
        "changement-mail/<str:token>/",
        views.email_change_confirm_view,
        name="email_change_confirm",
    ),
]
