"""Django settings, read from the environment (see docs/CONFIGURATION.md)."""

from __future__ import annotations

from pathlib import Path

from caducee.config import (
    database_from_url,
    env_bool,
    env_int,
    env_secret,
    env_str,
    home_dir,
    local_secret_key,
)
from caducee.core.client_address import base_origin, parse_networks
from caducee.monitoring.logs import logging_config
from caducee.monitoring.multiprocess import use_directory as use_metrics_directory
from caducee.storage.config import default_storage_settings, mail_root
from caducee.tasks.config import task_settings

BASE_DIR = Path(__file__).resolve().parent
HOME = home_dir()

DEBUG = env_bool("CADUCEE_DEBUG", False)
SECRET_KEY = env_secret("CADUCEE_SECRET_KEY") or local_secret_key(HOME)
SECRET_KEY_FALLBACKS = [k for k in env_secret("CADUCEE_SECRET_KEY_FALLBACKS").split(",") if k]
# Audit chain HMAC key (docs/CONFIGURATION.md); empty: derived from SECRET_KEY.
AUDIT_KEY = env_secret("CADUCEE_AUDIT_KEY")
ALLOWED_HOSTS = [
    h.strip() for h in env_str("CADUCEE_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
]
BASE_URL = env_str("CADUCEE_BASE_URL", "").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "caducee.referentials",
    "caducee.audit",
    "caducee.people",
    "caducee.structures",
    "caducee.accounts",
    "caducee.identity",
    "caducee.console",
    "caducee.loadusers",
    "caducee.exports",
    "caducee.directory",
    "caducee.mail",
    "caducee.coordination",
    "caducee.stats",
    "caducee.api",
    "caducee.scheduler",
    "caducee.tasks",
    "caducee.emails",
    "caducee.lifecycle",
    "caducee.onboarding",  # Issue #16: onboarding
    "caducee.registration",  # Issue #16: self-registration (« Créer un compte »)
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves the API docs' Swagger UI from the platform, not a CDN (CSP)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "caducee.core.headers.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "caducee.urls"
WSGI_APPLICATION = "caducee.wsgi.application"
AUTH_USER_MODEL = "people.User"
LOGIN_URL = "identity:login"
LOGIN_REDIRECT_URL = "console:home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "caducee.console.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": database_from_url(
        env_str("CADUCEE_DATABASE_URL"), HOME, env_str("CADUCEE_DATABASE_POOL")
    )
}

# Background tasks (caducee/tasks): the database backend by default, Redis with
# CADUCEE_TASKS_URL=redis://… (docs/CONFIGURATION.md, « Tâches en arrière-plan »).
TASKS, RQ_QUEUES, _TASK_APPS = task_settings(env_str("CADUCEE_TASKS_URL"))
INSTALLED_APPS += _TASK_APPS
TASK_RETRY_SECONDS = env_int("CADUCEE_TASK_RETRY_SECONDS", 30)
TASK_RETRY_ATTEMPTS = env_int("CADUCEE_TASK_RETRY_ATTEMPTS", 10)
TASK_KEEP_DAYS = env_int("CADUCEE_TASK_KEEP_DAYS", 7)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = env_str("CADUCEE_TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("CADUCEE_STATIC_ROOT", "") or HOME / "static")  # docs/DEPLOY.md
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# Files (documents, import uploads, exports) go through Django's `default` storage: under
# MEDIA_ROOT, or an S3-compatible store with CADUCEE_STORAGE_URL (docs/STORAGE.md).
MEDIA_ROOT = HOME / "files"
STORAGES = {
    "default": default_storage_settings(env_str("CADUCEE_STORAGE_URL")),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Reverse proxy and HTTPS (docs/DEPLOY.md; docs/CONFIGURATION.md, "Reverse proxy and HTTPS").
# Only peers in CADUCEE_TRUSTED_PROXIES have X-Forwarded-For/-Proto and the client
# certificate headers honoured (caducee/core/client_address.py). An https base URL turns
# on secure cookies, HSTS and the redirect to https; each can be set on its own.
TRUSTED_PROXIES = parse_networks(env_str("CADUCEE_TRUSTED_PROXIES", ""))
MIDDLEWARE = ["caducee.core.client_address.ProxyHeadersMiddleware", *MIDDLEWARE]
_HTTPS = BASE_URL.startswith("https://")
CSRF_TRUSTED_ORIGINS = [base_origin(BASE_URL)] if BASE_URL else []
SESSION_COOKIE_SECURE = env_bool("CADUCEE_SECURE_COOKIES", _HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("CADUCEE_SSL_REDIRECT", _HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^(healthz|readyz|metrics)/?$"]  # probes that bypass the proxy
SECURE_HSTS_SECONDS = env_int("CADUCEE_HSTS_SECONDS", 365 * 24 * 3600 if _HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("CADUCEE_HSTS_SUBDOMAINS", False)
# End of reverse proxy and HTTPS settings.

SESSION_COOKIE_AGE = env_int("CADUCEE_SESSION_MAX_AGE", 12 * 3600)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

ACTION_LINK_DAYS = env_int("CADUCEE_LINK_DAYS", 30)
CONSOLE_PAGE_SIZE = env_int("CADUCEE_PAGE_SIZE", 50)

# Outgoing email (codes, links, notifications). With no relay configured, messages are
# written as files under CADUCEE_HOME/outbox so that `make run` works offline.
EMAIL_HOST = env_str("CADUCEE_EMAIL_HOST", "")
EMAIL_PORT = env_int("CADUCEE_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("CADUCEE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_secret("CADUCEE_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("CADUCEE_EMAIL_STARTTLS", False)
EMAIL_USE_SSL = env_bool("CADUCEE_EMAIL_SSL", False)
EMAIL_TIMEOUT = env_int("CADUCEE_EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("CADUCEE_EMAIL_FROM", "Caducée <ne-pas-repondre@caducee.localhost>")
EMAIL_FILE_PATH = HOME / "outbox"
EMAIL_KEEP_DAYS = env_int("CADUCEE_EMAIL_KEEP_DAYS", 30)  # sent outbox rows, then purged
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
)

# Supervision (docs/MONITORING.md): /healthz, /readyz, /metrics, access log, log format.
# The counters of this host's processes are kept in METRICS_DIR (set before anything
# imports prometheus_client).
METRICS_DIR = use_metrics_directory(Path(env_str("CADUCEE_METRICS_DIR") or HOME / "metrics"))
METRICS_TOKEN = env_secret("CADUCEE_METRICS_TOKEN")
METRICS_HTTP = env_str("CADUCEE_METRICS_HTTP", "")
ACCESS_LOG = env_bool("CADUCEE_ACCESS_LOG", True)
LOGGING = logging_config(env_str("CADUCEE_LOG_FORMAT", "text"), env_str("CADUCEE_LOG_LEVEL"))
MIDDLEWARE = [
    "caducee.monitoring.access.AccessLogMiddleware",
    "caducee.monitoring.endpoints.MonitoringMiddleware",
    *MIDDLEWARE,
]

# Coordination (docs/COORDINATION.md, section Configuration).
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "caducee.coordination.auth.ExternalIdentifierBackend",
]
COORDINATION_EXTERNAL_ACTIVATION_DAYS = env_int("CADUCEE_EXTERNAL_ACTIVATION_DAYS", 7)
COORDINATION_MAX_UPLOAD_MB = env_int("CADUCEE_COORDINATION_MAX_UPLOAD_MB", 20)
MIDDLEWARE = [*MIDDLEWARE, "caducee.coordination.middleware.ExternalSealMiddleware"]

# Directory: national publication push (docs/DIRECTORY.md).
DIRECTORY_PUSH_URL = env_str("CADUCEE_DIRECTORY_PUSH_URL", "")
DIRECTORY_PUSH_TOKEN = env_secret("CADUCEE_DIRECTORY_PUSH_TOKEN")
DIRECTORY_PUSH_TIMEOUT = env_int("CADUCEE_DIRECTORY_PUSH_TIMEOUT", 30)
DIRECTORY_PAGE_SIZE = env_int("CADUCEE_DIRECTORY_PAGE_SIZE", 25)
# Issue #18 point 3: the national MSSanté directory (other operators), docs/DIRECTORY.md.
# The scheduler downloads it from this URL (empty: no refresh) every so many minutes.
DIRECTORY_NATIONAL_URL = env_str("CADUCEE_DIRECTORY_NATIONAL_URL", "")
DIRECTORY_NATIONAL_TIMEOUT = env_int("CADUCEE_DIRECTORY_NATIONAL_TIMEOUT", 300)
SCHEDULER_DIRECTORY_NATIONAL_MINUTES = env_int("CADUCEE_SCHEDULER_DIRECTORY_NATIONAL_MINUTES", 1440)

# Identity (docs/IDENTITY.md, section Configuration).
FINALISATION_DAYS = env_int("CADUCEE_FINALISATION_DAYS", 30)
RESET_LINK_MINUTES = env_int("CADUCEE_RESET_LINK_MINUTES", 60)
RESET_REQUESTS_PER_IP = env_int("CADUCEE_RESET_REQUESTS_PER_IP", 20)
CGU_VERSION = env_str("CADUCEE_CGU_VERSION", "1.0")
LOGIN_CODE_MINUTES = env_int("CADUCEE_LOGIN_CODE_MINUTES", 10)
LOGIN_CODE_TRIES = env_int("CADUCEE_LOGIN_CODE_TRIES", 5)
LOGIN_CODE_RESEND_SECONDS = env_int("CADUCEE_LOGIN_CODE_RESEND_SECONDS", 60)
TRUSTED_BROWSER_DAYS = env_int("CADUCEE_TRUSTED_BROWSER_DAYS", 90)
LOCKOUT_FREE_FAILURES = env_int("CADUCEE_LOCKOUT_FREE_FAILURES", 3)
LOCKOUT_THRESHOLD = env_int("CADUCEE_LOCKOUT_THRESHOLD", 10)
LOCKOUT_IP_THRESHOLD = env_int("CADUCEE_LOCKOUT_IP_THRESHOLD", 50)
LOCKOUT_MINUTES = env_int("CADUCEE_LOCKOUT_MINUTES", 15)
LOCKOUT_MAX_DELAY_SECONDS = env_int("CADUCEE_LOCKOUT_MAX_DELAY_SECONDS", 60)
SESSION_IDLE_MINUTES = env_int("CADUCEE_SESSION_IDLE_MINUTES", 30)
# Pro Santé Connect (docs/IDENTITY.md): off while no client id is set.
PSC_CLIENT_ID = env_str("CADUCEE_PSC_CLIENT_ID", "")
PSC_CLIENT_SECRET = env_secret("CADUCEE_PSC_CLIENT_SECRET")
PSC_ISSUER = env_str("CADUCEE_PSC_ISSUER", "production")
MIDDLEWARE = [*MIDDLEWARE, "caducee.identity.middleware.SessionLimitsMiddleware"]
# Issue #17 point 4: login codes by SMS (docs/IDENTITY.md, « Codes par SMS »). `http`
# posts to CADUCEE_SMS_URL; `file` (the default without a URL, like the email outbox)
# writes each SMS under CADUCEE_HOME/sms-outbox; `off` offers no SMS at all.
SMS_URL = env_str("CADUCEE_SMS_URL", "")
SMS_TOKEN = env_secret("CADUCEE_SMS_TOKEN")
SMS_BACKEND = env_str("CADUCEE_SMS_BACKEND", "") or ("http" if SMS_URL else "file")
SMS_TIMEOUT = env_int("CADUCEE_SMS_TIMEOUT", 5)
SMS_SENDER = env_str("CADUCEE_SMS_SENDER", "Caducee")
SMS_OUTBOX = HOME / "sms-outbox"
SMS_SETUP_LIMIT = env_int("CADUCEE_SMS_SETUP_LIMIT", 5)  # per CADUCEE_LOCKOUT_MINUTES
# End of issue #17 point 4 settings.
TEMPLATES[0]["OPTIONS"]["context_processors"].append(  # type: ignore[index]
    "caducee.identity.context_processors.mailbox"
)
# End of identity settings.
# Issue #17: client certificates (docs/IDENTITY.md, « CPS cards and partner certificates »).
# CPS login: the « Se connecter avec une carte CPS » button (nginx verifies the card's
# certificate against the IGC-Santé chains). Partner certificates: the platform's own CA,
# PEM files (`caducee certificates init-ca` creates them under CADUCEE_HOME/certificates).
CPS_LOGIN = env_bool("CADUCEE_CPS_LOGIN", False)
CERTIFICATE_CA_CERT = env_str("CADUCEE_CERTIFICATE_CA_CERT", "") or str(
    HOME / "certificates" / "ca.pem"
)
CERTIFICATE_CA_KEY = env_str("CADUCEE_CERTIFICATE_CA_KEY", "") or str(
    HOME / "certificates" / "ca.key"
)
CERTIFICATE_YEARS = env_int("CADUCEE_CERTIFICATE_YEARS", 3)
# End of issue #17 settings.

# Issue #16: self-registration (docs/REGISTRATION.md). The INSEE codes of the regions where
# « Créer un compte » is open (empty: closed); requests older than this many hours are
# highlighted in the service centre's queue; requests per IP and per email in the window.
REGISTRATION_REGIONS = [
    r.strip() for r in env_str("CADUCEE_REGISTRATION_REGIONS", "").split(",") if r.strip()
]
REGISTRATION_OVERDUE_HOURS = env_int("CADUCEE_REGISTRATION_OVERDUE_HOURS", 72)
REGISTRATION_REQUESTS_PER_IP = env_int("CADUCEE_REGISTRATION_REQUESTS_PER_IP", 20)
REGISTRATION_REQUESTS_PER_EMAIL = env_int("CADUCEE_REGISTRATION_REQUESTS_PER_EMAIL", 5)
REGISTRATION_CORRECTION_DAYS = env_int("CADUCEE_REGISTRATION_CORRECTION_DAYS", 30)
# End of issue #16 settings.

# Loaduser import/export (docs/LOADUSERS.md, section Configuration).
CADUCEE_UPLOAD_MAX_MB = env_int("CADUCEE_UPLOAD_MAX_MB", 20)
# Workbooks are parsed in a child process under these limits (security issue #11, H2).
CADUCEE_UPLOAD_PARSE_MEMORY_MB = env_int("CADUCEE_UPLOAD_PARSE_MEMORY_MB", 2048)
CADUCEE_UPLOAD_PARSE_SECONDS = env_int("CADUCEE_UPLOAD_PARSE_SECONDS", 300)
# Long exports (caducee/exports, docs/LOADUSERS.md « Long exports »): above this many rows,
# built by a background task and downloaded from « Mes exports » for this many days.
EXPORT_BACKGROUND_ROWS = env_int("CADUCEE_EXPORT_BACKGROUND_ROWS", 5000)
EXPORT_RETENTION_DAYS = env_int("CADUCEE_EXPORT_RETENTION_DAYS", 7)
# Import jobs run as tasks (queue `imports`); a job whose worker gave no sign of life for
# this long is run again, at most IMPORT_MAX_RUNS times in all.
IMPORT_STALE_SECONDS = env_int("CADUCEE_IMPORT_STALE_SECONDS", 120)
IMPORT_MAX_RUNS = env_int("CADUCEE_IMPORT_MAX_RUNS", 3)

# Messaging (docs/MESSAGING.md, section Configuration).
MAIL_ROOT = mail_root(env_str("CADUCEE_MAIL_ROOT"), HOME)  # docs/STORAGE.md
SMTP_MAX_BYTES = env_int("CADUCEE_SMTP_MAX_BYTES", 25 * 1024 * 1024)
# Webmail/API sends are held to SMTP_MAX_BYTES (caducee/mail/mime.py). Uploaded files above
# FILE_UPLOAD_MAX_MEMORY_SIZE (Django's 2.5 MB) are spooled to disk and refused on their
# size before being read; a request body read into memory (the API's JSON, base64
# attachments included) may hold one such message plus JSON escaping, no more.
DATA_UPLOAD_MAX_MEMORY_SIZE = SMTP_MAX_BYTES + SMTP_MAX_BYTES // 2
SMTP_TLS_CERT = env_str("CADUCEE_SMTP_TLS_CERT", "")
SMTP_TLS_KEY = env_str("CADUCEE_SMTP_TLS_KEY", "")
SMTP_HOSTNAME = env_str("CADUCEE_SMTP_HOSTNAME", "localhost")
SUBMISSION_PUBLIC = env_str("CADUCEE_SUBMISSION_PUBLIC", "")  # host:port shown to mail clients
SMTP_REQUIRE_TLS = env_bool("CADUCEE_SMTP_REQUIRE_TLS", True)
SMTP_TLS_VERIFY = env_bool("CADUCEE_SMTP_TLS_VERIFY", True)
SMTP_TLS_CA_FILE = env_str("CADUCEE_SMTP_TLS_CA_FILE", "")
SMTP_ROUTES = env_str("CADUCEE_SMTP_ROUTES", "")
SMTP_TIMEOUT = env_int("CADUCEE_SMTP_TIMEOUT", 30)
MSSANTE_WHITELIST = env_str("CADUCEE_MSSANTE_WHITELIST", "")
PATIENT_DOMAIN = env_str("CADUCEE_PATIENT_DOMAIN", "patient.mssante.fr").lower()
DELIVERY_MAX_DAYS = env_int("CADUCEE_DELIVERY_MAX_DAYS", 5)
# a row claimed by a worker that died is taken again after this many seconds
DELIVERY_CLAIM_SECONDS = env_int("CADUCEE_DELIVERY_CLAIM_SECONDS", 900)
MAIL_PAGE_SIZE = env_int("CADUCEE_MAIL_PAGE_SIZE", 50)
SMTP_RCPT_CACHE_SECONDS = env_int("CADUCEE_SMTP_RCPT_CACHE_SECONDS", 5)
# A Message-ID already received by a mailbox (or submitted from it) within this many hours is
# an SMTP retry: answered 250 and not stored or sent again (mail/dedupe.py); 0 disables.
# 120 h = the 5 days a sending server keeps retrying (RFC 5321 §4.5.4.1 suggests 4–5 days).
MAIL_DEDUPE_HOURS = env_int("CADUCEE_MAIL_DEDUPE_HOURS", 120)
# Inter-operator trust and SMTP limits (docs/MESSAGING.md, "Inbound (MTA)" and "Limits").
SMTP_TRUST_ANCHORS = env_str("CADUCEE_SMTP_TRUST_ANCHORS", "")  # PEM CA file (IGC-Santé)
SMTP_CLIENT_CERT = env_str("CADUCEE_SMTP_CLIENT_CERT", "")  # outbound client certificate
SMTP_CLIENT_KEY = env_str("CADUCEE_SMTP_CLIENT_KEY", "")
SMTP_MAX_SESSIONS = env_int("CADUCEE_SMTP_MAX_SESSIONS", 200)
SMTP_MAX_SESSIONS_PER_IP = env_int("CADUCEE_SMTP_MAX_SESSIONS_PER_IP", 20)
SMTP_MAX_RCPT = env_int("CADUCEE_SMTP_MAX_RCPT", 100)
SMTP_COMMAND_LIMIT = env_int("CADUCEE_SMTP_COMMAND_LIMIT", 1000)
SMTP_IDLE_TIMEOUT = env_int("CADUCEE_SMTP_IDLE_TIMEOUT", 60)
# Issue #18: the IMAP service (docs/MESSAGING.md, « IMAP »); its addresses, CADUCEE_IMAP and
# CADUCEE_IMAPS, are read by caducee/cli/imap.py.
IMAP_MAX_SESSIONS = env_int("CADUCEE_IMAP_MAX_SESSIONS", 200)  # each holds a DB connection
IMAP_IDLE_TIMEOUT = env_int("CADUCEE_IMAP_IDLE_TIMEOUT", 1800)  # seconds; RFC 3501 autologout
IMAP_IDLE_POLL_SECONDS = env_int("CADUCEE_IMAP_IDLE_POLL_SECONDS", 2)  # IDLE: a look every N s
IMAP_COMMAND_LIMIT = env_int("CADUCEE_IMAP_COMMAND_LIMIT", 100_000)  # per session
IMAP_PUBLIC = env_str("CADUCEE_IMAP_PUBLIC", "")  # host:port shown to mail clients

# Scheduler (docs/CONFIGURATION.md, section Scheduler; docs/ARCHITECTURE.md).
SCHEDULER_LEASE_SECONDS = env_int("CADUCEE_SCHEDULER_LEASE_SECONDS", 60)  # at most 60
SCHEDULER_PURGE_MINUTES = env_int("CADUCEE_SCHEDULER_PURGE_MINUTES", 60)
SCHEDULER_WHITELIST_MINUTES = env_int("CADUCEE_SCHEDULER_WHITELIST_MINUTES", 1440)
SCHEDULER_DIRECTORY_MINUTES = env_int("CADUCEE_SCHEDULER_DIRECTORY_MINUTES", 1440)
SCHEDULER_LIFECYCLE_MINUTES = env_int("CADUCEE_SCHEDULER_LIFECYCLE_MINUTES", 60)
# Account lifecycle (issue #15, docs/ACCOUNTS.md): deletion after this many days without
# activity (0: never), and the horizon of the « expire bientôt » filter.
INACTIVITY_DAYS = env_int("CADUCEE_INACTIVITY_DAYS", 365)
EXPIRING_SOON_DAYS = env_int("CADUCEE_EXPIRING_SOON_DAYS", 30)
IDENTITY_PURGE_DAYS = env_int("CADUCEE_IDENTITY_PURGE_DAYS", 7)
MAIL_QUEUE_KEEP_DAYS = env_int("CADUCEE_MAIL_QUEUE_KEEP_DAYS", 30)

# Issue #16: onboarding (« Demande de raccordement », docs/REGISTRATION.md). Requests older
# than REGISTRATION_OVERDUE_HOURS (above) are highlighted in the service centre's queue;
# valid requests accepted per IP address and per email within the throttle window
# (LOCKOUT_MINUTES).
ONBOARDING_REQUESTS_PER_IP = env_int("CADUCEE_ONBOARDING_REQUESTS_PER_IP", 10)
ONBOARDING_REQUESTS_PER_EMAIL = env_int("CADUCEE_ONBOARDING_REQUESTS_PER_EMAIL", 3)

# Issue #18 (points 2 and 4): the MSSanté product reference sent as `X-MSS-NIL` on every
# outgoing message (docs/MESSAGING.md, « En-têtes MSSanté »), and how long the inbound MTA
# remembers which mailboxes have an active automatic reply (« Réponse automatique »).
MSS_NIL = env_str("CADUCEE_MSS_NIL", "Caducee-0.1.0")
AUTOREPLY_CACHE_SECONDS = env_int("CADUCEE_AUTOREPLY_CACHE_SECONDS", 5)
