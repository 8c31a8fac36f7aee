"""`caducee scheduler`: the platform's periodic jobs, one running scheduler per platform.

Any number may be started (on one machine or several): they share a lease in the
database, one enqueues the due jobs as tasks that the workers run (`caducee worker`, or
the worker threads of `caducee serve`), the others wait and take over within a minute if
it dies. `--once` runs the due jobs in the command itself, without a worker.
This command never migrates the database.
"""

from __future__ import annotations

import argparse
import threading
from typing import Any

from caducee.cli.stopping import stop_event


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "scheduler",
        help="lancer les tâches planifiées (purges, liste blanche, annuaire)",
        description=(
            "Lance les tâches planifiées de la plateforme. Un seul planificateur travaille à "
            "la fois (bail en base de données) : les autres attendent et prennent le relais "
            "en moins d'une minute si le premier s'arrête. Chaque tâche due est mise en file "
            "(file « default ») et exécutée par un worker : « caducee worker », ou les "
            "fils d'exécution de « caducee serve »."
        ),
    )
    parser.add_argument(
        "--once",
        action="store_true",
        help="exécuter une fois chaque tâche due dans cette commande même (sans worker), "
        "puis s'arrêter (rien si un autre planificateur détient le bail)",
    )
    parser.set_defaults(func=run_scheduler)


def _say(text: str) -> None:
    print(text, flush=True)


def _report(ran: list[tuple[str, bool]]) -> None:
    from caducee.scheduler.models import JobState

    for name, ok in ran:
        state = JobState.objects.get(name=name)
        if ok:
            _say(f"Tâche {name} : {state.last_result}")
        else:
            _say(f"Tâche {name} : ÉCHEC — {state.last_error}")


def _waiting(holder: str) -> str:
    from django.utils import timezone

    from caducee.scheduler.lease import current

    lease = current()
    if lease is None or lease.holder == holder:
        return "Planificateur en attente du bail."
    until = timezone.localtime(lease.expires_at).strftime("%H:%M:%S")
    return (
        f"Planificateur en attente : le bail est détenu par {lease.holder} "
        f"(jusqu'à {until} s'il n'est pas renouvelé)."
    )


def run_once(holder: str) -> int:
    from caducee.scheduler.lease import Heartbeat, acquire, release
    from caducee.scheduler.runner import run_due

    if not acquire(holder):
        _say(_waiting(holder).replace("en attente", "non lancé") + " Aucune tâche lancée.")
        return 0
    try:
        with Heartbeat(holder) as beat:
            ran = run_due(holder, lambda: not beat.lost.is_set())
    finally:
        release(holder)
    _report(ran)
    if not ran:
        _say("Aucune tâche due.")
    return 0 if all(ok for _name, ok in ran) else 1


def run_forever(holder: str, stop: threading.Event) -> int:
    from django.db import close_old_connections

    from caducee.scheduler.lease import Heartbeat, acquire, duration, release
    from caducee.scheduler.registry import jobs
    from caducee.scheduler.runner import enqueue_due, seconds_until_next

    period = duration().total_seconds() / 3
    active = False
    last_message = ""
    try:
        while not stop.is_set():
            close_old_connections()
            if acquire(holder):
                if not active:
                    _say(f"Planificateur actif ({holder}) : {len(jobs())} tâche(s) enregistrée(s).")
                    active, last_message = True, ""
                with Heartbeat(holder) as beat:
                    queued = enqueue_due(holder, lambda: not (beat.lost.is_set() or stop.is_set()))
                for name in queued:
                    _say(f"Tâche {name} mise en file.")
                if beat.lost.is_set():
                    _say("Bail perdu : le planificateur repasse en attente.")
                    active = False
                due = seconds_until_next()
                wait = period if due is None else min(period, due)
            else:
                message = _waiting(holder)
                if message != last_message or active:
                    _say(message)
                    last_message = message
                active = False
                wait = period
            stop.wait(max(0.2, wait))
    finally:
        release(holder)
        _say("Planificateur arrêté.")
    return 0


def run_scheduler(args: argparse.Namespace) -> int:
    from caducee.scheduler.lease import new_holder_id

    holder = new_holder_id()
    if args.once:
        return run_once(holder)
    from caducee.monitoring.exporter import start as start_metrics

    start_metrics()  # /metrics on CADUCEE_METRICS_HTTP when set
    stop = stop_event()
    return run_forever(holder, stop)
