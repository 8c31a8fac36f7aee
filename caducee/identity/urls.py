from django.urls import path

from caducee.identity import views
from caducee.identity.certificates import views as certificate_views
from caducee.identity.psc import views as psc_views

app_name = "identity"
urlpatterns = [
    path("connexion/", views.login_view, name="login"),
    path("connexion/code/", views.code_view, name="code"),
    path("connexion/code/renvoyer/", views.code_resend_view, name="code_resend"),
    path("connexion/psc/", psc_views.psc_start_view, name="psc_start"),
    path("connexion/psc/retour/", psc_views.psc_callback_view, name="psc_callback"),
    path("connexion/psc/choisir/", psc_views.psc_choose_view, name="psc_choose"),
    path("deconnexion/", views.logout_view, name="logout"),
    # Issue #17: CPS card login and partner certificates (identity/certificates).
    path("connexion/cps/", certificate_views.cps_login_view, name="cps_login"),
    path("connexion/cps/choisir/", certificate_views.cps_choose_view, name="cps_choose"),
    path(
        "securite/certificats/demander/",
        certificate_views.certificate_request_view,
        name="certificate_request",
    ),
    path(
        "securite/certificats/<int:certificate_id>/telecharger/",
        certificate_views.certificate_download_view,
        name="certificate_download",
    ),
    path(
        "securite/certificats/<int:certificate_id>/retirer/",
        certificate_views.certificate_revoke_view,
        name="certificate_revoke",
    ),
    path("ma-boite/", views.home_view, name="home"),
    path("changer-de-compte/", views.switch_view, name="switch"),
    path("securite/", views.security_view, name="security"),
    path(
        "securite/navigateurs/<int:browser_id>/oublier/",
        views.browser_revoke_view,
        name="browser_revoke",
    ),
    path("securite/deconnecter-partout/", views.logout_everywhere_view, name="logout_everywhere"),
    path("securite/application/", views.totp_view, name="totp"),
    path("securite/application/retirer/", views.totp_disable_view, name="totp_disable"),
    path("securite/mot-de-passe/", views.password_change_view, name="password_change"),
    # Issue #17 point 4: login codes by SMS.
    path("securite/sms/", views.sms_view, name="sms"),
    path("securite/sms/retirer/", views.sms_disable_view, name="sms_disable"),
    path("mot-de-passe-oublie/", views.forgot_view, name="forgot"),
    path("mot-de-passe/reinitialiser/<str:token>/", views.reset_view, name="reset"),
    path("finaliser/<str:token>/", views.finalise_view, name="finalise"),
    path("cgu/", views.cgu_view, name="cgu"),
    path("console/structures/<int:structure_id>/relancer/", views.remind_view, name="remind"),
    path(
        "console/structures/<int:structure_id>/derniere-relance/",
        views.last_reminder_view,
        name="last_reminder",
    ),
    path("console/comptes/<int:account_id>/renvoyer-lien/", views.resend_view, name="resend"),
    path(
        "console/comptes/<int:account_id>/second-facteur/reinitialiser/",
        views.second_factor_reset_view,
        name="second_factor_reset",
    ),
    path("installation/<str:token>/", views.setup_view, name="setup"),
    path("mot-de-passe/<str:token>/", views.set_password_view, name="set_password"),
]
