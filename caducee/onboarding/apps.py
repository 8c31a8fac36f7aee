from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "caducee.onboarding"
    label = "onboarding"
    verbose_name = "Demandes de raccordement"
