from django.urls import path

from caducee.console.views import (
    accounts,
    audit,
    colleagues,
    connections,
    domains,
    home,
    moves,
    scheduler,
    structures,
)
from caducee.console.views import activity as activity_views

app_name = "console"

_S = "structures/<int:structure_id>/"
_A = _S + "utilisateurs/<int:account_id>/"

urlpatterns = [
    path("", home.home, name="home"),
    # Operator
    path("structures/", structures.structure_list, name="structures"),
    path("structures/nouvelle/", structures.structure_create, name="structure_create"),
    path("taches-planifiees/", scheduler.scheduler_jobs, name="scheduler"),
    path("domaines/", domains.domain_list, name="domains"),
    path("activite/", activity_views.platform_activity, name="platform_activity"),
    path(
        "activite/<slug:key>.csv",
        activity_views.platform_activity_csv,
        name="platform_activity_csv",
    ),
    path(_S + "parametrage/", structures.structure_edit, name="structure_edit"),
    path(_S + "administrateurs/", structures.structure_admins, name="structure_admins"),
    path(
        _S + "administrateurs/<int:user_id>/retirer/",
        structures.structure_admin_remove,
        name="structure_admin_remove",
    ),
    # Structure admins (and the operator)
    path(_S, structures.structure_home, name="structure"),
    path(_S + "utilisateurs/", accounts.account_list, name="accounts"),
    path(_S + "utilisateurs/nouveau/", accounts.account_create_choose, name="account_new"),
    path(_S + "utilisateurs/nouveau/<str:kind>/", accounts.account_create, name="account_create"),
    path(_S + "candidats/", connections.candidates, name="candidates"),
    path(_S + "changements-mail/", accounts.email_change_list, name="email_changes"),
    path(
        _S + "changements-mail/<int:change_id>/renvoyer-lien/",
        accounts.email_change_resend,
        name="email_change_resend",
    ),
    path(
        _S + "changements-mail/<int:change_id>/annuler/",
        accounts.email_change_cancel,
        name="email_change_cancel",
    ),
    path(_S + "journal/", audit.audit_log, name="audit"),
    path(_S + "activite/", activity_views.structure_activity, name="activity"),
    path(
        _S + "activite/<slug:key>.csv", activity_views.structure_activity_csv, name="activity_csv"
    ),
    path(
        _S + "propositions-collegues/", colleagues.colleague_proposals, name="colleague_proposals"
    ),
    path(
        _S + "propositions-collegues/<int:proposal_id>/valider/",
        colleagues.colleague_proposal_approve,
        name="colleague_proposal_approve",
    ),
    path(
        _S + "propositions-collegues/<int:proposal_id>/refuser/",
        colleagues.colleague_proposal_refuse,
        name="colleague_proposal_refuse",
    ),
    path(
        _S + "propositions-collegues/parametre/",
        colleagues.colleague_policy,
        name="colleague_policy",
    ),
    path(_A, accounts.account_edit, name="account"),
    path(_A + "desactiver/", accounts.account_deactivate, name="account_deactivate"),
    path(_A + "reactiver/", accounts.account_reactivate, name="account_reactivate"),
    path(_A + "type/", accounts.account_change_type, name="account_change_type"),
    path(_A + "changement-mail/", accounts.email_change_request, name="email_change_request"),
    path(_A + "rattacher/", moves.account_move, name="account_move"),
    path(_A + "connexions/ajouter/", connections.connection_add, name="connection_add"),
    path(
        _A + "connexions/<int:member_id>/retirer/",
        connections.connection_remove,
        name="connection_remove",
    ),
    path(_A + "boites/", connections.mailbox_settings, name="mailbox_settings"),
    path(_A + "delegues/ajouter/", connections.delegate_add, name="delegate_add"),
    path(
        _A + "delegues/<int:delegate_id>/retirer/",
        connections.delegate_remove,
        name="delegate_remove",
    ),
    path(
        _A + "delegues/<int:delegate_id>/droits/",
        connections.delegate_right,
        name="delegate_right",
    ),
]
