from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "caducee.people"
    label = "people"
    verbose_name = "Personnes"
