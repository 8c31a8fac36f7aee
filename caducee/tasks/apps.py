from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "caducee.tasks"
    label = "caducee_tasks"
    verbose_name = "Tâches en arrière-plan"
