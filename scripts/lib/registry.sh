#!/usr/bin/env bash
# The local image registry (Debian's docker-registry) that k2.registries points at on
# loopback, seeded with the tags the sandbox clusters' demo workloads run.

# k2_start_registry LOGFILE DIR CONFIG_FILE...
# Starts it in the background (pid in $registry) after the sandbox, and waits until it
# is seeded. Returns 1, saying so, when docker-registry is not installed or the start
# fails: K2 then runs without tags offered from a registry.
k2_start_registry() {
  local log="$1" dir="$2"
  shift 2
  registry=""
  if ! k2_need_package docker-registry docker-registry "image tags offered in the release dialog"; then
    k2_log "no local image registry: the release dialog takes typed tags only"
    return 1
  fi
  local args=()
  for config in "$@"; do
    args+=(--config "$config")
  done
  mkdir -p "$(dirname "$log")"
  node packages/sandbox-cluster/bin/k2-sandbox-registry "${args[@]}" --dir "$dir" \
    >"$log" 2>&1 &
  registry=$!
  local deadline=$((SECONDS + 120))
  until grep -q 'tags seeded' "$log" 2>/dev/null; do
    if ! kill -0 "$registry" 2>/dev/null; then
      sed 's/^/  /' "$log" >&2
      k2_log "the local image registry did not start (see $log); the release dialog takes typed tags only"
      registry=""
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      k2_log "the local image registry was not seeded within 2 minutes (see $log)"
      return 1
    fi
    sleep 0.5
  done
  sed 's/^/  /' "$log" >&2
}
