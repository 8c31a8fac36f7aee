from django.urls import URLPattern, URLResolver, path

from caducee.coordination.views import contacts, externals, partners, records, rights

app_name = "coordination"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", records.home, name="home"),
    path("dossiers/nouveau/", records.record_create, name="record_create"),
    path("dossiers/<int:record_id>/", records.record_detail, name="record"),
    path("dossiers/<int:record_id>/modifier/", records.record_edit, name="record_edit"),
    path("dossiers/<int:record_id>/liaison/", records.liaison, name="liaison"),
    path("dossiers/<int:record_id>/documents/", records.documents, name="documents"),
    path(
        "dossiers/<int:record_id>/documents/<int:document_id>/",
        records.document_download,
        name="document",
    ),
    path("dossiers/<int:record_id>/partenaires/", partners.partners, name="partners"),
    path(
        "dossiers/<int:record_id>/partenaires/rattacher/",
        partners.partner_attach,
        name="partner_attach",
    ),
    path(
        "dossiers/<int:record_id>/partenaires/annuaire-regional/",
        partners.directory_select,
        name="partner_directory",
    ),
    path(
        "dossiers/<int:record_id>/partenaires/<int:partner_id>/detacher/",
        partners.partner_detach,
        name="partner_detach",
    ),
    path(
        "dossiers/<int:record_id>/partenaires/<int:partner_id>/acces/",
        partners.partner_access,
        name="partner_access",
    ),
    path(
        "dossiers/<int:record_id>/partenaires/<int:partner_id>/suspendre/",
        partners.partner_suspend,
        name="partner_suspend",
    ),
    path(
        "dossiers/<int:record_id>/partenaires/<int:partner_id>/compte-externe/",
        partners.partner_external,
        name="partner_external",
    ),
    path("annuaire/", contacts.contacts, name="contacts"),
    path("annuaire/nouveau/", contacts.contact_create, name="contact_create"),
    path("annuaire/importer/", contacts.contact_import, name="contact_import"),
    path("annuaire/<int:contact_id>/", contacts.contact_edit, name="contact_edit"),
    path("profils/", rights.profiles, name="profiles"),
    path("profils/nouveau/", rights.profile_create, name="profile_create"),
    path("profils/<int:profile_id>/", rights.profile_edit, name="profile_edit"),
    path("profils/<int:profile_id>/supprimer/", rights.profile_delete, name="profile_delete"),
    path("droits/", rights.members, name="members"),
    path("droits/<int:membership_id>/retirer/", rights.member_remove, name="member_remove"),
    path("comptes-externes/", externals.externals, name="externals"),
    path("comptes-externes/nouveau/", externals.external_create, name="external_create"),
    path("comptes-externes/<int:external_id>/", externals.external_edit, name="external_edit"),
    path(
        "comptes-externes/<int:external_id>/suspendre/",
        externals.external_suspend,
        name="external_suspend",
    ),
    path(
        "comptes-externes/<int:external_id>/relancer/",
        externals.external_resend,
        name="external_resend",
    ),
    path("activation/<str:token>/", externals.activate, name="activate"),
    path(
        "invitations/<int:grant_id>/accepter/",
        externals.invitation_accept,
        name="invitation_accept",
    ),
]
