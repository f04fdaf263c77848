# Node.js service, built by K2 from templates/node.Dockerfile (@internal/plugin-k2-builds-common).
# Needs package.json and package-lock.json at the root; runs `node .` (package.json "main").

# Build stage: dependencies first, so this layer stays cached until package.json or
# the lockfile changes; then the sources, the build script if there is one, and the
# development dependencies pruned.
FROM ${{ buildImage }} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build --if-present && npm prune --omit=dev

# Runtime stage: the built application only, run by user 1000.
FROM ${{ runtimeImage }}
ENV NODE_ENV=production
WORKDIR /app
# K2 mounts the service's log directory at /log-dir; created here so the image runs
# the same without it. Logs go to stdout; files, if any, under /log-dir.
RUN mkdir -p /log-dir && chown 1000:1000 /log-dir
COPY --from=build --chown=1000:1000 /app /app
USER 1000:1000
# The port K2 probes (k2.io/port); K2's probes replace a HEALTHCHECK.
EXPOSE ${{ port }}
CMD ["node", "."]
