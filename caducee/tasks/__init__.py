"""Background work on Django's tasks API (the `django-tasks` backport): queues, backends,
retries and the worker. See docs/ARCHITECTURE.md, « Processes and tasks »."""
