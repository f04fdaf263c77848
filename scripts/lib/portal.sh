#!/usr/bin/env bash
# The portal on a production build of the frontend: `yarn workspace app build` writes
# packages/app/dist, and the backend's app plugin (@backstage/plugin-app-backend) serves
# it on the backend's own port, injecting the runtime config into index.html. So
# app.baseUrl must equal backend.baseUrl: there is no second origin.
#
# Used by `./k2 test` (end-to-end tests), `yarn bench:page` and `./k2 start --production`.
# Nothing is cached between runs: every caller builds from the working tree it runs on.

# k2_build_app LOGFILE
# Builds the frontend for production into packages/app/dist, with the brotli and gzip
# copies the backend sends (dist/static-compressed). Sets k2_build_seconds.
k2_build_app() {
  local log="$1" started=$SECONDS
  mkdir -p "$(dirname "$log")"
  k2_log "building the frontend for production (packages/app/dist; log in $log)"
  # The build treats bundler warnings as errors under CI=true; K2's bundle has none
  # of its own, so the same build runs in CI and locally.
  if ! yarn workspace app build >"$log" 2>&1; then
    tail -40 "$log" >&2
    k2_die "the frontend build failed; see $log"
    return 1
  fi
  k2_build_seconds=$((SECONDS - started))
  k2_log "frontend built in ${k2_build_seconds} s ($(du -sh packages/app/dist/static | cut -f1) in dist/static)"
}

# k2_write_portal_config FILE URL PORT SQLITE_DIR [CLUSTER_PORT_BASE]
# A config layered over app-config.yaml: the backend at URL (port PORT) also serves the
# app, SQLite in SQLITE_DIR, and sandbox clusters test, prod-a and prod-b on
# CLUSTER_PORT_BASE+1..3 (default: the ports app-config.yaml names).
k2_write_portal_config() {
  local file="$1" url="$2" port="$3" sqlite="$4" base="${5:-}"
  cat >"$file" <<YAML
app:
  baseUrl: $url
backend:
  baseUrl: $url
  listen:
    port: $port
  cors:
    origin: $url
  database:
    client: better-sqlite3
    connection:
      directory: $sqlite
YAML
  if [ -n "$base" ]; then
    cat >>"$file" <<YAML
kubernetes:
  clusterLocatorMethods:
    - type: config
      clusters:
        - { name: test, url: http://127.0.0.1:$((base + 1)), authProvider: serviceAccount, serviceAccountToken: portal-test }
        - { name: prod-a, url: http://127.0.0.1:$((base + 2)), authProvider: serviceAccount, serviceAccountToken: portal-prod-a }
        - { name: prod-b, url: http://127.0.0.1:$((base + 3)), authProvider: serviceAccount, serviceAccountToken: portal-prod-b }
YAML
  fi
}

# k2_start_backend LOGFILE URL CONFIG_FILE...
# Starts the backend (which serves packages/app/dist) in its own process group, pid in
# $portal, and waits until it is ready and serves the app's index.html. Sets
# k2_portal_seconds. Call with `set -m` so the process group can be stopped as one.
k2_start_backend() {
  local log="$1" url="$2" started=$SECONDS
  shift 2
  local args=()
  for config in "$@"; do
    args+=(--config "$config")
  done
  mkdir -p "$(dirname "$log")"
  # The backend's sources run through Backstage's transform, as `backstage-cli package
  # start` does, but without its file watcher: a file saved in the working tree during a
  # run must not restart the portal under test.
  (cd packages/backend && NODE_ENV="${NODE_ENV:-development}" exec node --enable-source-maps \
    --require "$(node -p 'require.resolve("@backstage/cli-node/config/nodeTransform.cjs")')" \
    src/index.ts "${args[@]}") >"$log" 2>&1 &
  portal=$!
  local deadline=$((SECONDS + 300))
  until curl -fsS -o /dev/null "$url/.backstage/health/v1/readiness" 2>/dev/null &&
    curl -fsS "$url/" 2>/dev/null | grep -q 'type="backstage.io/config"'; do
    if ! kill -0 "$portal" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      tail -50 "$log" >&2
      k2_die "the backend serving the production build did not start at $url; see $log"
      return 1
    fi
    sleep 1
  done
  k2_wait_for_sign_in "$url" || return 1
  k2_portal_seconds=$((SECONDS - started))
  k2_log "portal on the production build ready at $url in ${k2_portal_seconds} s"
}

# k2_wait_for_sign_in URL [USER_REF]
# Waits until the development sign-in resolves USER_REF (default user:default/alice)
# through the backend at URL. The backend reports ready before the catalog has read
# the demo users, and a sign-in before then fails with "not found in the catalog"; the
# end-to-end tests and the page benchmark sign in as soon as the portal is up.
k2_wait_for_sign_in() {
  local url="$1" user="${2:-user:default/alice}" deadline=$((SECONDS + 300))
  until curl -fsS -o /dev/null -H "x-k2-dev-user: $user" \
    "$url/api/auth/k2-dev/refresh" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      k2_die "signing in as $user at $url still failed after 5 minutes (the catalog has not read that user)"
      return 1
    fi
    sleep 1
  done
}
