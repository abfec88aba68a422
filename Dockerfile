# syntax=docker/dockerfile:1
# Probity: build the wheel and its pinned dependencies, then run as a non-root user.

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/probity
COPY requirements.lock ./
RUN /opt/probity/bin/pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN /opt/probity/bin/pip wheel --no-deps --wheel-dir /wheels . \
    && /opt/probity/bin/pip install --no-deps /wheels/*.whl

FROM python:3.11-slim-bookworm AS runtime
# Production: the service refuses to start until PROBITY_SECRET_KEY and PROBITY_AUDIT_KEY are given
# (the development keys are published in the code and never serve beyond loopback).
ENV PATH="/opt/probity/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PROBITY_ENV=production \
    PROBITY_DATA_DIR=/data
COPY --from=build /opt/probity /opt/probity
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin probity \
    && mkdir /data && chown 10001:10001 /data
WORKDIR /data
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
CMD ["probity", "serve", "--host", "0.0.0.0", "--port", "8000"]
