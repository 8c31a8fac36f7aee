"""Gauges read from the database at scrape time, and the scrape itself.

They describe state that every process shares (the task queue, the delivery queue,
imports), so any process that serves /metrics gives the same, right, answer.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from caducee.loadusers.models import ImportJob, JobStatus
from caducee.mail.models import Outbound, QueueState
from caducee.monitoring import queues

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class DatabaseCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        depth = GaugeMetricFamily(
            "caducee_task_queue_ready", "Tasks ready to run, by queue.", labels=["queue"]
        )
        age = GaugeMetricFamily(
            "caducee_task_queue_oldest_ready_seconds",
            "Age of the oldest task ready to run, by queue (0 when the queue is empty).",
            labels=["queue"],
        )
        for state in queues.states(now):
            depth.add_metric([state.name], state.ready)
            age.add_metric([state.name], state.oldest_age)
        yield depth
        yield age

        outbound = GaugeMetricFamily(
            "caducee_mail_outbound",
            "Outgoing messages (one per recipient) in the delivery queue, by state; sent and "
            "bounced rows are kept CADUCEE_MAIL_QUEUE_KEEP_DAYS days.",
            labels=["state"],
        )
        counts = dict(Outbound.objects.order_by().values_list("state").annotate(n=Count("pk")))
        for value in QueueState.values:
            outbound.add_metric([value], counts.get(value, 0))
        yield outbound
        deferred = Outbound.objects.filter(state=QueueState.PENDING, attempts__gt=0)
        yield GaugeMetricFamily(
            "caducee_mail_outbound_deferred",
            "Outgoing messages waiting for a new attempt after a temporary failure.",
            value=deferred.count(),
        )
        oldest = Outbound.objects.filter(
            state__in=(QueueState.PENDING, QueueState.SENDING)
        ).aggregate(oldest=Min("created_at"))["oldest"]
        yield GaugeMetricFamily(
            "caducee_mail_outbound_oldest_waiting_seconds",
            "Age of the oldest outgoing message not yet sent or bounced (0 if none).",
            value=max((now - oldest).total_seconds(), 0.0) if oldest else 0.0,
        )

        imports = GaugeMetricFamily(
            "caducee_imports", "Account imports, by state.", labels=["state"]
        )
        counts = dict(ImportJob.objects.order_by().values_list("status").annotate(n=Count("pk")))
        for value in JobStatus.values:
            imports.add_metric([value], counts.get(value, 0))
        yield imports


def scrape() -> bytes:
    """The metrics in Prometheus' text format: every process's counters on this host
    (the multiprocess directory) and the database gauges."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(settings.METRICS_DIR))  # type: ignore[no-untyped-call]
    registry.register(DatabaseCollector())
    return generate_latest(registry)
