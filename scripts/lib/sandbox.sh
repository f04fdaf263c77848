#!/usr/bin/env bash
# The sandbox cluster (packages/sandbox-cluster): serves the Kubernetes clusters the
# given app-config files declare on loopback, seeded with the demo catalog's services.

# k2_start_sandbox LOGFILE KUBECONFIG CONFIG_FILE...
# Starts it in the background (pid in $sandbox) and waits until every cluster answers.
# K2_SANDBOX_REACHABLE_PODS=1 gives pods loopback IPs that answer HTTP (--reachable-pods),
# so a local Nginx reaches them; benchmarks leave it unset.
k2_start_sandbox() {
  local log="$1" kubeconfig="$2"
  shift 2
  local args=()
  for config in "$@"; do
    args+=(--config "$config")
  done
  if [ -n "${K2_SANDBOX_REACHABLE_PODS:-}" ]; then
    args+=(--reachable-pods)
  fi
  mkdir -p "$(dirname "$log")"
  node packages/sandbox-cluster/bin/k2-sandbox "${args[@]}" \
    --catalog examples/entities.yaml --kubeconfig "$kubeconfig" >"$log" 2>&1 &
  sandbox=$!
  local deadline=$((SECONDS + 120))
  until grep -q 'demo workloads seeded' "$log" 2>/dev/null; do
    if ! kill -0 "$sandbox" 2>/dev/null; then
      cat "$log" >&2
      k2_die "the sandbox cluster did not start (is another K2 already using its ports?)"
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      k2_die "the sandbox cluster did not start within 2 minutes; see $log"
      return 1
    fi
    sleep 0.5
  done
  sed 's/^/  /' "$log" >&2
}
