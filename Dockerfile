# syntax=docker/dockerfile:1
# One image for every Python service of the clinic; docker-compose.yml chooses the command:
#   scheduler  gunicorn -c services/scheduler/gunicorn.conf.py 'services.scheduler:create_app()'
#   dashboard  gunicorn -c services/dashboard/gunicorn.conf.py 'services.dashboard:create_app()'
#   worker     clinic worker
#   migrate    clinic db upgrade          (and every other `clinic ...` operator command)
# Runtime dependencies only (no [dev] extras), run as an unprivileged user.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: a virtualenv with the dependencies and the project ------------------------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /app

# Dependencies first, in their own layer: changing the code does not reinstall them. The
# runtime dependencies (no [dev] extras) at the versions and hashes uv.lock pins; uv only
# writes them out and stays in this stage.
ARG UV_VERSION=0.13.9
COPY pyproject.toml uv.lock ./
RUN /usr/local/bin/python -m pip install uv==${UV_VERSION} \
    && uv export --frozen --no-emit-project --format requirements.txt --quiet \
        -o /tmp/requirements.txt \
    && pip install --no-deps --require-hashes -r /tmp/requirements.txt

# The code lives in /app and is installed in place, so the paths in the commands above are the
# same as in a checkout, and `clinic` is on PATH.
COPY shared ./shared
COPY services ./services
RUN pip install --no-deps --editable . \
    && python -m compileall -q shared services

# --- runtime: the virtualenv and the code, nothing else -------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CLINIC_ENV=production \
    SCHEDULER_BIND=0.0.0.0:8000 \
    DASHBOARD_BIND=0.0.0.0:8001 \
    XDG_RUNTIME_DIR=/tmp

RUN groupadd --system --gid 10001 clinic \
    && useradd --system --uid 10001 --gid clinic --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin clinic

COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app

USER 10001:10001
EXPOSE 8000 8001
CMD ["gunicorn", "-c", "services/scheduler/gunicorn.conf.py", "services.scheduler:create_app()"]
