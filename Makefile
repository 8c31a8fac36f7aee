# Caducée — the two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql://postgres@127.0.0.1:5432/caducee
export CADUCEE_HOME ?= $(CURDIR)/var

.PHONY: run test install install-test lint typecheck test-suites test-sqlite test-postgres browser mailtools imaptools nginx bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.run-deps: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test-deps: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[test]"
	touch $@ $(VENV)/.run-deps

install: $(VENV)/.run-deps

install-test: $(VENV)/.test-deps

## make run: install, migrate and serve the whole platform (SQLite and files under var/).
run: install
	$(BIN)/caducee migrate
	$(BIN)/caducee serve

## make test: lint, type checks, then the whole suite on SQLite and on PostgreSQL.
test: install-test browser mailtools imaptools nginx lint typecheck test-suites

# The SQLite and PostgreSQL passes run side by side: each spends much of its time waiting
# (sockets, Chromium, fsync, the PostgreSQL server), so together they take little more
# than the longer one. The PostgreSQL pass's output is printed when both are over.
test-suites:
	@log=$$(mktemp); \
	$(MAKE) --no-print-directory test-postgres >$$log 2>&1 & postgres=$$!; \
	$(MAKE) --no-print-directory test-sqlite; sqlite=$$?; \
	wait $$postgres; status=$$?; \
	echo "--- passe PostgreSQL ---"; cat $$log; rm -f $$log; \
	echo "SQLite : code $$sqlite ; PostgreSQL : code $$status"; \
	[ $$sqlite -eq 0 ] && [ $$status -eq 0 ]

lint:
	$(BIN)/ruff check caducee tests bench deploy

typecheck:
	$(BIN)/mypy caducee tests

test-sqlite:
	CADUCEE_HOME=$$(mktemp -d) CADUCEE_DATABASE_URL= $(BIN)/pytest

# Runs whenever the server answers; CI sets CADUCEE_REQUIRE_POSTGRES=1 so it cannot be skipped.
test-postgres:
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_URL)'.rsplit('/',1)[0]+'/postgres', connect_timeout=3).close()" 2>/dev/null; then \
		echo "PostgreSQL pass ($(PG_URL))"; \
		CADUCEE_HOME=$$(mktemp -d) CADUCEE_DATABASE_URL=$(PG_URL) $(BIN)/pytest; \
	elif [ -n "$$CADUCEE_REQUIRE_POSTGRES" ]; then \
		echo "PostgreSQL ne répond pas sur 127.0.0.1:5432 alors que CADUCEE_REQUIRE_POSTGRES est défini." >&2; exit 1; \
	else \
		echo "PostgreSQL ne répond pas : passe PostgreSQL sautée (CI l'exige)."; \
	fi

# The browser tests drive Debian's Chromium; install it when missing (needs root, as in CI).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; \
		else \
			echo "Chromium manque : sudo apt-get install chromium" >&2; exit 1; \
		fi; \
	fi

# The SMTP tests drive Debian's mail clients msmtp and swaks; installed when missing (root).
mailtools:
	@if [ ! -x /usr/bin/msmtp ] || [ ! -x /usr/bin/swaks ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq msmtp swaks) >/dev/null; \
		else \
			echo "msmtp ou swaks manque : sudo apt-get install msmtp swaks" >&2; exit 1; \
		fi; \
	fi

# Issue #18: the IMAP tests drive mbsync (Debian's isync) for a full sync; installed when
# missing (root).
imaptools:
	@if [ ! -x /usr/bin/mbsync ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq isync) >/dev/null; \
		else \
			echo "mbsync manque : sudo apt-get install isync" >&2; exit 1; \
		fi; \
	fi

# The deploy/ tests run Debian's nginx in front of gunicorn; installed when missing (root).
# apt never starts the service in CI's container (policy-rc.d); the test runs its own nginx.
nginx:
	@if [ ! -x /usr/sbin/nginx ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx) >/dev/null; \
		else \
			echo "nginx manque : sudo apt-get install nginx" >&2; exit 1; \
		fi; \
	fi
	@# Issue #17: client-certificate tests (tests/deploy/test_nginx_certificates.py, the
	@# PKCS#12 check) run `curl --cert` and `openssl pkcs12`; installed when missing (root).
	@if [ ! -x /usr/bin/curl ] || [ ! -x /usr/bin/openssl ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl openssl) >/dev/null; \
		else \
			echo "curl ou openssl manque : sudo apt-get install curl openssl" >&2; exit 1; \
		fi; \
	fi

bench: install-test
	$(BIN)/python bench/loadusers.py

clean:
	rm -rf $(VENV) build *.egg-info
