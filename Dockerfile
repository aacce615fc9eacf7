# One image for every service; the command picks the service (python -m services.<name>).
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# Dependencies first, so code changes reuse the cached layer.
COPY pyproject.toml ./
RUN mkdir -p libs services sandboxes wxhub && touch libs/__init__.py services/__init__.py \
      sandboxes/__init__.py wxhub/__init__.py \
    && pip install --no-cache-dir . && pip uninstall -y wxhub
COPY libs ./libs
COPY services ./services
COPY sandboxes ./sandboxes
COPY wxhub ./wxhub
RUN pip install --no-cache-dir --no-deps .
USER nobody
CMD ["python", "-m", "services.gateway"]
