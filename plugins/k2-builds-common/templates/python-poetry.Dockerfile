# Python service with Poetry, built by K2 from templates/python-poetry.Dockerfile
# (@internal/plugin-k2-builds-common). Needs pyproject.toml and poetry.lock; runs
# `python -m ${{ pythonModule }}`. The build and runtime images must carry the same
# Python: the virtual environment moves between them.

# Build stage: Poetry in a virtual environment of its own, then the locked main
# dependencies into the service's, cached until pyproject.toml or poetry.lock changes.
FROM ${{ buildImage }} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 VIRTUAL_ENV=/opt/venv
RUN python -m venv /opt/poetry && /opt/poetry/bin/pip install poetry==${{ poetryVersion }} && python -m venv /opt/venv
WORKDIR /build
COPY pyproject.toml poetry.lock ./
RUN /opt/poetry/bin/poetry install --only main --no-root --no-interaction --no-ansi

# Runtime stage: the virtual environment and the sources, run by user 1000.
FROM ${{ runtimeImage }}
# Unbuffered, so every log line reaches stdout at once.
ENV PATH="/opt/venv/bin:$PATH" PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
# K2 mounts the service's log directory at /log-dir; created here so the image runs
# the same without it. Logs go to stdout; files, if any, under /log-dir.
RUN mkdir -p /log-dir && chown 1000:1000 /log-dir
COPY --from=build --chown=1000:1000 /opt/venv /opt/venv
COPY --chown=1000:1000 . /app
USER 1000:1000
# The port K2 probes (k2.io/port); K2's probes replace a HEALTHCHECK.
EXPOSE ${{ port }}
CMD ["python", "-m", "${{ pythonModule }}"]
