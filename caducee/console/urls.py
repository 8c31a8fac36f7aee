from django.urls import path

from caducee.console import views

app_name = "console"
urlpatterns = [
    path("", views.home, name="home"),
]
