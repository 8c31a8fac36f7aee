from django.urls import path

from caducee.identity import views

app_name = "identity"
urlpatterns = [
    path("connexion/", views.login_view, name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("installation/<str:token>/", views.setup_view, name="setup"),
    path("mot-de-passe/<str:token>/", views.set_password_view, name="set_password"),
]
