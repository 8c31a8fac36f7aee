"""Process-local Prometheus counters, shared by the processes of one host.

prometheus-client's multiprocess mode: each process (gunicorn workers, `caducee smtp`
processes, workers) writes its counters to memory-mapped files in one directory
(CADUCEE_METRICS_DIR, by default CADUCEE_HOME/metrics) and a scrape adds them all up.
The settings point prometheus-client at that directory before anything imports it
(caducee/monitoring/multiprocess.py).

Only counters and histograms live here: their files stay after a process ends, so totals
never go down when a process restarts. What describes shared state (queue depth, imports
by state, deliveries by state) is read from the database at scrape time instead
(caducee/monitoring/collectors.py).
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "caducee_http_requests",
    "HTTP requests answered, by method, route name and status code.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "caducee_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route name.",
    ["method", "route"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
SMTP_SESSIONS = Counter(
    "caducee_smtp_sessions",
    "SMTP connections, by listener (inbound, submission) and outcome (accepted, or "
    "turned_away by the session limits with 421).",
    ["listener", "outcome"],
)
SMTP_REFUSALS = Counter(
    "caducee_smtp_refusals",
    "SMTP replies 4xx and 5xx sent, by listener and reply code.",
    ["listener", "code"],
)
LOGIN_FAILURES = Counter(
    "caducee_login_failures",
    "Failed logins (wrong password or code), by stage.",
    ["stage"],
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def http_request(method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else "OTHER"
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_DURATION.labels(method, route).observe(seconds)


def smtp_session(listener: str, accepted: bool) -> None:
    SMTP_SESSIONS.labels(listener, "accepted" if accepted else "turned_away").inc()


def smtp_reply(listener: str, reply: str | bytes) -> None:
    """Count a 4xx/5xx reply by its code (the first three digits)."""
    text = reply.decode("ascii", "replace") if isinstance(reply, bytes) else reply
    code = text[:3]
    if len(code) == 3 and code.isdigit() and code[0] in "45":
        SMTP_REFUSALS.labels(listener, code).inc()


def login_failed(stage: str) -> None:
    stage = stage if stage in {"password", "code_email", "code_totp", "smtp"} else "other"
    LOGIN_FAILURES.labels(stage).inc()
