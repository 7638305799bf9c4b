# procore-sync as a container: the sync daemon with /metrics and /health on port 9300.
#   docker build -t procore-sync .
#   docker run -d --name procore-sync --env-file /etc/procore-sync/env \
#     -v procore-sync-state:/var/lib/procore-sync -p 127.0.0.1:9300:9300 procore-sync
# Settings and secrets come from the environment (see docs/deployment.md); flags after the
# image name replace the default `--interval 300`.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /build
COPY pyproject.toml README.md ./
COPY procore_ingest ./procore_ingest
RUN pip install . && rm -rf /build

# a dedicated user owns the state (checkpoints, sync state, id key); the daemon never runs as root
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/procore-sync --create-home \
        --shell /usr/sbin/nologin procore-sync
USER procore-sync
WORKDIR /var/lib/procore-sync
ENV PROCORE_STATE_DIR=/var/lib/procore-sync
VOLUME ["/var/lib/procore-sync"]

EXPOSE 9300
# /health is 200 while the last cycle succeeded and is recent; the first cycle (a full load the
# first time) may take a while, hence the start period
HEALTHCHECK --interval=60s --timeout=5s --start-period=15m --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request\ntry:\n    urllib.request.urlopen('http://127.0.0.1:9300/health', timeout=4)\nexcept Exception as exc:\n    sys.exit(f'unhealthy: {exc}')"]

# 0.0.0.0 inside the container: publish the port with -p (on 127.0.0.1 unless Prometheus is elsewhere)
ENTRYPOINT ["procore-sync", "--daemon", "--metrics-host", "0.0.0.0", "--metrics-port", "9300"]
CMD ["--interval", "300"]
