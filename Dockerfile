# One image for every service; the command picks the service (python -m services.<name>).
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# Dependencies first, at the versions pinned in constraints.txt (`make lock`): the code subclasses
# private internals of uvicorn and aiormq, so an unpinned upgrade could break it. Code changes
# reuse this cached layer.
COPY pyproject.toml constraints.txt ./
RUN mkdir -p libs services sandboxes wxhub && touch libs/__init__.py services/__init__.py \
      sandboxes/__init__.py wxhub/__init__.py \
    && pip install --no-cache-dir -c constraints.txt . && pip uninstall -y wxhub
COPY libs ./libs
COPY services ./services
COPY sandboxes ./sandboxes
COPY wxhub ./wxhub
RUN pip install --no-cache-dir --no-deps -c constraints.txt .
# A numeric user (Kubernetes' runAsNonRoot can verify it) owns the one writable folder: a SQLite
# file if someone runs the embedded default here (uploaded materials are in the database).
RUN groupadd --system --gid 10001 wxhub \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/wxhub --no-create-home wxhub \
    && mkdir -p /var/lib/wxhub && chown -R 10001:10001 /var/lib/wxhub
VOLUME ["/var/lib/wxhub"]
USER 10001:10001
# /healthz of whichever service this container runs (WXHUB_HEALTHCHECK_URL to name one).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "wxhub.healthcheck"]
CMD ["python", "-m", "services.gateway"]
