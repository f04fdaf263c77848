#!/usr/bin/env bash
# The whole K2 test suite: type-check, lint, unit and database tests (SQLite and a
# PostgreSQL started here), backend boot tests, and end-to-end tests in Chromium
# against a real portal. With CI=true every suite runs or the command fails.
#
#   ./k2 test        everything
#   ./k2 test e2e    only the end-to-end stage (frontend build, portal, Playwright)
#   ./k2 test e2e packages/app/e2e-tests/alerts.test.ts   ... of the spec files named
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. scripts/lib/bootstrap.sh
. scripts/lib/system.sh
. scripts/lib/postgres.sh
. scripts/lib/sandbox.sh
. scripts/lib/registry.sh
. scripts/lib/portal.sh
. scripts/lib/monitoring.sh
. scripts/lib/base-images.sh
. scripts/lib/git-server.sh
. scripts/lib/processes.sh
# No process started here may hold a descriptor of the caller's, the lock of
# `flock /tmp/k2-e2e.lock ./k2 test e2e` above all.
k2_close_inherited_fds
k2_bootstrap
only_e2e=0
declare -a e2e_specs=()
case "${1:-}" in
  "") ;;
  e2e) only_e2e=1 && e2e_specs=("${@:2}") ;;
  *) k2_die "unknown argument '$1' (try: ./k2 test, ./k2 test e2e)"; exit 2 ;;
esac

out="$root/.k2/test-results"
rm -rf "$out" && mkdir -p "$out"
declare -a skipped=()
declare -a timings=()
started=$SECONDS

k2_stage() { printf '\n\033[1;35m══ %s\033[0m\n' "$*" >&2; }

# stop_e2e_services: Playwright (when interrupted), then the portal (its shutdown
# still reaches the clusters and the database), then the services it used; each within
# a bounded time, then SIGKILL.
stop_e2e_services() {
  k2_stop_groups 10 "${playwright:-}" || true
  k2_stop_groups 20 "${portal:-}" || true
  k2_stop_groups 10 "${sandbox:-}" "${registry:-}" "${monitoring:-}" "${git_server:-}" || true
  portal=
  sandbox=
  registry=
  monitoring=
  git_server=
}
cleanup() {
  stop_e2e_services
  [ -n "${e2e_dir:-}" ] && rm -rf "$e2e_dir"
  [ -n "${built_app:-}" ] && rm -rf "$root/packages/app/dist"
  k2_stop_postgres
}
trap cleanup EXIT
# Bash runs no EXIT trap when a signal ends it: exit instead, so the cleanup runs.
trap 'exit 130' INT
trap 'exit 143' TERM

# System packages first, so a missing one is reported before minutes of work.
have_chromium=1
k2_need_package chromium chromium "end-to-end tests in a real browser" || have_chromium=0
# A CJK font, or Chromium draws the Chinese screenshots' text as empty boxes. The
# package's font directory stands for it (k2_need_package takes a path it can test).
k2_need_package /usr/share/fonts/opentype/noto fonts-noto-cjk \
  "Chinese text in the end-to-end screenshots" ||
  skipped+=("Chinese glyphs in the end-to-end screenshots (install: fonts-noto-cjk)")
# kubectl: the sandbox's API fidelity tests drive it as a user would.
# promtool: the sandbox's /metrics output is checked by the real Prometheus parser.
# Once a tool is here, K2_REQUIRE_<TOOL>=1 makes the Jest tests that use it fail rather
# than skip when they cannot find it.
if k2_need_package kubectl kubernetes-client "kubectl against the sandbox cluster"; then
  export K2_REQUIRE_KUBECTL=1
else
  skipped+=("kubectl API fidelity tests (install: kubernetes-client)")
fi
if k2_need_package promtool prometheus "checking the sandbox's Prometheus metrics"; then
  export K2_REQUIRE_PROMTOOL=1
else
  skipped+=("promtool checks of the sandbox's metrics (install: prometheus)")
fi
# nginx: the Traffic backend gates publishes with a real nginx -t; the Nginx agent's
# tests run a real nginx master on loopback. /usr/sbin is often off a user's PATH.
if k2_need_package "$(command -v nginx || echo /usr/sbin/nginx)" nginx "real nginx for the traffic tests"; then
  export K2_REQUIRE_NGINX=1
else
  skipped+=("nginx tests of the Traffic backend and the Nginx agent (install: nginx)")
fi
# docker-registry and htpasswd: image tags are listed from a real registry, anonymous,
# behind Basic authentication (an htpasswd file) and behind a token service.
if k2_need_package docker-registry docker-registry "listing image tags from a real registry" &&
  k2_need_package htpasswd apache2-utils "the test registry's Basic authentication"; then
  export K2_REQUIRE_REGISTRY=1
else
  skipped+=("image tag listings from a real registry (install: docker-registry apache2-utils)")
fi
# buildah and busybox-static: the local build runner's tests build and push real images
# (a busybox base, into docker-registry); the end-to-end stage builds services with the
# base images (debootstrap makes the Debian one the first time; cached afterwards).
if k2_need_package buildah buildah "building images in the local runner's tests" &&
  k2_need_package /bin/busybox busybox-static "the local runner's test base image" &&
  [ "${K2_REQUIRE_REGISTRY:-}" = 1 ]; then
  export K2_REQUIRE_BUILDAH=1
  k2_need_package debootstrap debootstrap "the Debian base image of end-to-end builds" || true
else
  skipped+=("local builds with buildah (install: buildah busybox-static docker-registry apache2-utils)")
fi
# Prometheus, Alertmanager and the blackbox exporter: the Alerts backend's tests run the
# real chain (K2_REQUIRE_ALERTMANAGER=1 makes them fail rather than skip), and the
# end-to-end stage runs the stack beside the portal.
if k2_need_monitoring; then
  export K2_REQUIRE_ALERTMANAGER=1
else
  skipped+=("the Alerts monitoring stack's tests (install: prometheus prometheus-alertmanager prometheus-blackbox-exporter)")
fi
jest_status=0
if [ "$only_e2e" = 0 ]; then
  have_postgres=1
  k2_start_postgres || have_postgres=0
  if [ "$have_postgres" = 0 ]; then
    [ "${CI:-}" = true ] && k2_die "PostgreSQL could not be started; CI runs every suite" && exit 1
    skipped+=("PostgreSQL database tests (install: postgresql)")
  else
    # Database tests fail rather than skip PostgreSQL when it was meant to be there.
    export K2_REQUIRE_POSTGRES=1
  fi

  k2_stage "type-check (yarn tsc)"
  yarn tsc

  k2_stage "lint and formatting (yarn lint, yarn prettier:check)"
  yarn lint
  yarn prettier:check
  yarn openapi:check

  k2_stage "unit, database and backend boot tests (jest; SQLite$([ "$have_postgres" = 1 ] && echo " and PostgreSQL"))"
  # CI=true makes Jest run once instead of watching.
  CI=true yarn test --json --outputFile="$out/jest.json" || jest_status=$?
fi

e2e_status=0
if [ "$have_chromium" = 1 ]; then
  k2_stage "end-to-end tests (Playwright in Chromium against the production build served by the backend)"
  # Built from this working tree on every run (nothing cached across commits), and
  # removed again on exit so no later backend serves a stale build.
  built_app=1
  k2_build_app "$out/e2e-build.log"
  e2e_dir="$(mktemp -d /tmp/k2-e2e.XXXXXX)"
  # The backend serves the app, so app.baseUrl equals backend.baseUrl (port 7100);
  # sandbox clusters on 7111-7113.
  k2_write_portal_config "$e2e_dir/app-config.e2e.yaml" http://localhost:7100 7100 \
    "$e2e_dir/sqlite" 7110
  # The image registry on 7114, seeded from the sandbox. Releases are checked against
  # it (the specs push the tags they release), so the stage needs docker-registry.
  if [ "${K2_REQUIRE_REGISTRY:-}" != 1 ]; then
    k2_die "the end-to-end stage needs docker-registry and apache2-utils (releases check their images in a registry)"
    exit 1
  fi
  # Builds of this run keep their buildah storage in the run's directory.
  printf 'k2:\n  registries:\n    - { host: registry.northwind.example, url: http://127.0.0.1:7114, insecure: true }\n  builds:\n    local:\n      storageDir: %s\n' \
    "$e2e_dir/buildah" >"$e2e_dir/app-config.registry.yaml"
  set -m
  k2_start_sandbox "$out/e2e-sandbox.log" "$e2e_dir/kubeconfig" \
    "$root/app-config.yaml" "$e2e_dir/app-config.e2e.yaml"
  # The monitoring stack on 7115-7117 at a 2 s interval, so an alert fires and resolves
  # within seconds; the Alerts backend writes its rule files under the run's directory.
  if [ "${K2_REQUIRE_ALERTMANAGER:-}" = 1 ]; then
    k2_start_monitoring "$e2e_dir/monitoring" http://localhost:7100 "$e2e_dir/kubeconfig" \
      7115 7116 7117 2s || k2_die "the end-to-end monitoring stack did not start; see $e2e_dir/monitoring"
    export K2_E2E_PROMETHEUS_URL=http://127.0.0.1:7115
  fi
  k2_write_alerts_config "$e2e_dir/app-config.alerts.yaml" "$e2e_dir/monitoring" 7115 7116 7117
  k2_start_registry "$out/e2e-registry.log" "$e2e_dir/registry" \
    "$root/app-config.yaml" "$e2e_dir/app-config.e2e.yaml" \
    "$e2e_dir/app-config.registry.yaml" ||
    k2_die "the end-to-end image registry did not start; see $out/e2e-registry.log"
  # K2's base images in that registry, from .k2/cache/base-images (built there the first
  # time), so generated Dockerfiles build as in development.
  if [ "${K2_REQUIRE_BUILDAH:-}" = 1 ]; then
    base_started=$SECONDS
    if k2_build_base_images http://127.0.0.1:7114 "$root/.k2/cache/base-images" \
      >"$out/e2e-base-images.log" 2>&1; then
      timings+=("base images $((SECONDS - base_started)) s")
    else
      tail -n 20 "$out/e2e-base-images.log" >&2
      [ "${CI:-}" = true ] && k2_die "the base images could not be made; see $out/e2e-base-images.log" && exit 1
      skipped+=("end-to-end builds: the base images could not be made (see $out/e2e-base-images.log)")
    fi
  else
    skipped+=("end-to-end builds (install: buildah busybox-static debootstrap)")
  fi
  # The local Git server on 7118 for builds.test.ts: the template publishes there, its
  # pushes' signed webhooks go to the portal, and builds clone only from it.
  : >"$e2e_dir/app-config.builds.yaml"
  if k2_start_git_server "$out/e2e-git-server.log" "$e2e_dir/git" 7118 \
    http://localhost:7100/api/k2-builds/webhooks/push; then
    K2_BUILDS_WEBHOOK_SECRET="$(cat "$e2e_dir/git/.webhook-secret")"
    export K2_BUILDS_WEBHOOK_SECRET
    printf 'backend:\n  reading:\n    allow:\n      - host: 127.0.0.1:7118\nk2:\n  builds:\n    sources:\n      - host: 127.0.0.1:7118\n    localGit:\n      url: http://127.0.0.1:7118\n      tokenFile: %s\n' \
      "$e2e_dir/git/.push-token" >"$e2e_dir/app-config.builds.yaml"
    # builds.test.ts runs where builds can: buildah and the base images are here.
    if [ "${K2_REQUIRE_BUILDAH:-}" = 1 ] &&
      ! printf '%s\n' "${skipped[@]}" | grep -q '^end-to-end builds'; then
      export K2_E2E_GIT_DIR="$e2e_dir/git"
    fi
  else
    skipped+=("end-to-end builds: no local Git server (see $out/e2e-git-server.log)")
  fi
  k2_start_backend "$out/e2e-portal.log" http://localhost:7100 \
    "$root/app-config.yaml" "$e2e_dir/app-config.e2e.yaml" \
    "$e2e_dir/app-config.registry.yaml" "$e2e_dir/app-config.alerts.yaml" \
    "$e2e_dir/app-config.builds.yaml"
  e2e_started=$SECONDS
  # In a process group of its own and waited for, so a SIGTERM or SIGINT to this script
  # runs the cleanup at once (bash runs a trap only after a foreground command ends),
  # which stops Playwright and its browsers too.
  K2_E2E_URL=http://localhost:7100 K2_E2E_BACKEND_URL=http://localhost:7100 \
    K2_E2E_REGISTRY_URL=http://127.0.0.1:7114 \
    K2_E2E_KUBECONFIG="$e2e_dir/kubeconfig" yarn test:e2e "${e2e_specs[@]}" </dev/null &
  playwright=$!
  wait "$playwright" || e2e_status=$?
  playwright=
  set +m
  timings+=("frontend build ${k2_build_seconds} s, portal start ${k2_portal_seconds} s, Playwright $((SECONDS - e2e_started)) s")
  stopping_started=$SECONDS
  stop_e2e_services
  timings+=("services stopped in $((SECONDS - stopping_started)) s")
else
  skipped+=("end-to-end tests (install: chromium)")
fi

# One closing line for the whole suite, counted from the runners' own reports.
jest_report="$out/jest.json"
[ "$only_e2e" = 1 ] && jest_report=-
summary="$(node scripts/lib/summary.js "$jest_report" "$out/playwright.json")"
printf '\n%s\n' "Suite finished in $(((SECONDS - started) / 60)) min $(((SECONDS - started) % 60)) s." >&2
for t in "${timings[@]}"; do
  k2_log "end-to-end: $t"
done
for s in "${skipped[@]}"; do
  k2_log "SKIPPED: $s"
done
echo "$summary"
if [ "$jest_status" != 0 ] || [ "$e2e_status" != 0 ]; then
  exit 1
fi
