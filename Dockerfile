# One image for every peerpulse service: each container runs one `peerpulse <command>`.
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PEERPULSE_DATA_DIR=/var/lib/peerpulse

WORKDIR /opt/peerpulse
COPY pyproject.toml README.md* ./
COPY domain ./domain
COPY projections ./projections
COPY consumers ./consumers
COPY infra ./infra
COPY api ./api
COPY peerpulse ./peerpulse
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --home-dir /var/lib/peerpulse --create-home peerpulse

USER peerpulse
WORKDIR /var/lib/peerpulse
EXPOSE 8400
ENTRYPOINT ["peerpulse"]
CMD ["--help"]
