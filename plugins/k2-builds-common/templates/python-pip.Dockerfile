# Python service with requirements.txt, built by K2 from templates/python-pip.Dockerfile
# (@internal/plugin-k2-builds-common). Runs `python -m ${{ pythonModule }}`. The build and
# runtime images must carry the same Python: the virtual environment moves between them.

# Build stage: the dependencies into a virtual environment, cached until
# requirements.txt changes.
FROM ${{ buildImage }} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install --requirement /tmp/requirements.txt

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
