"""`caducee worker`: run background tasks (and, unless told not to, mail delivery).

Any number of workers may run, on one machine or several: they share the task queue
(database, or Redis with CADUCEE_TASKS_URL) and never run the same task twice.
This command never migrates the database.
"""

from __future__ import annotations

import argparse
from typing import Any

from caducee.cli.stopping import stop_event


def register(commands: Any) -> None:
    from caducee.tasks.queues import ALL

    parser = commands.add_parser(
        "worker",
        help="exécuter les tâches en arrière-plan (imports, courriels, annuaire…)",
        description=(
            "Exécute les tâches en arrière-plan de la plateforme : imports de comptes, "
            "courriels (codes de connexion, liens, notifications), publication dans "
            "l'annuaire, exports, tâches planifiées ; et la file d'envoi de la messagerie. "
            "Plusieurs workers peuvent tourner ensemble, sur une ou plusieurs machines."
        ),
    )
    parser.add_argument(
        "--queues",
        default=list(ALL),
        type=queue_names,
        help="files à traiter, séparées par des virgules (défaut : toutes) ; "
        "« urgent » porte les codes de connexion à usage unique",
    )
    parser.add_argument(
        "--batch",
        action="store_true",
        help="exécuter les tâches prêtes, puis s'arrêter",
    )
    parser.add_argument(
        "--no-delivery", action="store_true", help="ne pas lancer la file d'envoi de messagerie"
    )
    parser.set_defaults(func=run_worker)


def queue_names(raw: str) -> list[str]:
    from caducee.tasks.queues import ALL

    names = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in names if name not in ALL]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"file inconnue {', '.join(unknown) or '(aucune)'} ; "
            f"files possibles : {', '.join(ALL)}."
        )
    return names


def run_worker(args: argparse.Namespace) -> int:
    from caducee.tasks.worker import run_ready, start_threads, stop_threads

    names: list[str] = args.queues
    if args.batch:
        ran = run_ready(names)
        print(f"{ran} tâche(s) exécutée(s).", flush=True)
        return 0
    from caducee.monitoring.exporter import start as start_metrics

    start_metrics()  # /metrics on CADUCEE_METRICS_HTTP when set
    stop = stop_event()
    threads = start_threads((name,) for name in names)
    delivery = None
    if not args.no_delivery:
        from caducee.mail.delivery import Worker

        delivery = Worker()
        delivery.start()
    from caducee.tasks.config import uses_database_backend

    extra = "" if args.no_delivery else " et file d'envoi de messagerie"
    where = "en base de données" if uses_database_backend() else "Redis"
    print(f"Worker prêt : files {', '.join(names)} ({where}){extra}.", flush=True)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        stop_threads(threads)
        if delivery is not None:
            delivery.stop()
        print("Worker arrêté.", flush=True)
    return 0
