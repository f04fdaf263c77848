#!/usr/bin/env bash
# The monitoring stack of the Alerts backend on loopback: Debian's Prometheus (scraping
# each sandbox cluster's /metrics and the HTTP probes K2 writes, evaluating the rule files
# K2 writes), Alertmanager (sending every alert to K2's webhook) and the blackbox
# exporter (running those probes). Configured from scratch under one directory on every
# start; nothing under /etc or /var.
#
#   DIR/prometheus.yml           scrape jobs, rule_files rules/<environment>/*.yml, alerting
#   DIR/alertmanager.yml         one route to K2's webhook, bearer token from DIR/webhook-token
#   DIR/blackbox.yml             module http_2xx
#   DIR/rules/<environment>/     rule files K2 writes (delivery type files), then reloads
#   DIR/probes/<environment>/    file_sd target files K2 writes for URL probes
#   DIR/tokens/<cluster>         the sandbox clusters' bearer tokens, for scraping
#   DIR/data, DIR/alertmanager   storage; DIR/*.log the processes' logs

# The K2 environments that have monitoring here (keys of k2.alerts.environments): a
# rules/<environment>/ and a probes/<environment>/ directory are read for each
# (Prometheus takes a wildcard in a rule or target file's name only, not in a directory).
K2_MONITORING_ENVIRONMENTS="${K2_MONITORING_ENVIRONMENTS:-test prod}"

# Binaries as Debian installs them.
K2_PROMETHEUS_BIN=/usr/bin/prometheus
K2_ALERTMANAGER_BIN=/usr/bin/prometheus-alertmanager
K2_BLACKBOX_BIN=/usr/bin/prometheus-blackbox-exporter

# k2_need_monitoring
# Returns 0 when prometheus, promtool, prometheus-alertmanager, amtool and the blackbox
# exporter are installed (installing them when root, fatal under CI=true: see
# k2_need_package), 1 otherwise.
k2_need_monitoring() {
  local purpose="the Alerts monitoring stack"
  k2_need_package "$K2_PROMETHEUS_BIN" prometheus "$purpose" &&
    k2_need_package promtool prometheus "$purpose" &&
    k2_need_package "$K2_ALERTMANAGER_BIN" prometheus-alertmanager "$purpose" &&
    k2_need_package amtool prometheus-alertmanager "$purpose" &&
    k2_need_package "$K2_BLACKBOX_BIN" prometheus-blackbox-exporter "$purpose"
}

# k2_monitoring_targets KUBECONFIG
# One line per cluster of a kubeconfig the sandbox wrote: `name host:port token`.
k2_monitoring_targets() {
  node -e '
    const yaml = require("yaml");
    const config = yaml.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const users = new Map(config.users.map(u => [u.name, u.user.token]));
    for (const context of config.contexts) {
      const cluster = config.clusters.find(c => c.name === context.context.cluster);
      const url = new URL(cluster.cluster.server);
      console.log(`${cluster.name} ${url.host} ${users.get(context.context.user)}`);
    }
  ' "$1"
}

# k2_write_monitoring_config DIR PORTAL_URL KUBECONFIG PROMETHEUS_PORT ALERTMANAGER_PORT BLACKBOX_PORT [INTERVAL]
# Writes the three configs and a fresh webhook token (mode 600) under DIR and checks
# them with promtool and amtool. INTERVAL (default 5s) is Prometheus's scrape and
# evaluation interval; Alertmanager's group_wait and group_interval follow it, so a
# firing or resolved alert reaches K2 within about two intervals.
k2_write_monitoring_config() {
  local dir="$1" portal="$2" kubeconfig="$3" prom_port="$4" am_port="$5" bb_port="$6"
  local interval="${7:-5s}" name address token abs
  mkdir -p "$dir/rules" "$dir/probes" "$dir/tokens" "$dir/data" "$dir/alertmanager"
  abs="$(cd "$dir" && pwd)"
  rm -f "$dir/tokens/"*
  (
    umask 077
    node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex"))' \
      >"$dir/webhook-token"
  )
  cat >"$dir/prometheus.yml" <<YAML
# Written by K2 (scripts/lib/monitoring.sh) on every start; edits are lost.
global:
  scrape_interval: $interval
  evaluation_interval: $interval
  scrape_timeout: $interval
# One entry per environment: Prometheus takes a wildcard in the file name only.
rule_files:
$(for name in $K2_MONITORING_ENVIRONMENTS; do printf '  - rules/%s/*.yml\n' "$name"; done)
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:$am_port']
scrape_configs:
YAML
  while read -r name address token; do
    printf '%s' "$token" >"$dir/tokens/$name"
    chmod 600 "$dir/tokens/$name"
    cat >>"$dir/prometheus.yml" <<YAML
  # Sandbox cluster $name: cAdvisor and kube-state-metrics names, no cluster label of
  # their own (the target's label adds it, as a per-cluster scrape job would).
  - job_name: sandbox-$name
    metrics_path: /metrics
    authorization:
      credentials_file: $abs/tokens/$name
    static_configs:
      - targets: ['$address']
        labels:
          cluster: $name
YAML
  done < <(k2_monitoring_targets "$kubeconfig")
  cat >>"$dir/prometheus.yml" <<YAML
  # The URL probes of K2's rules: target files under probes/<environment>/, each
  # target a URL with K2's labels, probed through the blackbox exporter.
  - job_name: k2-probes
    metrics_path: /probe
    params:
      module: [http_2xx]
    file_sd_configs:
      - refresh_interval: $interval
        files:
YAML
  for name in $K2_MONITORING_ENVIRONMENTS; do
    mkdir -p "$dir/rules/$name" "$dir/probes/$name"
    printf "          - probes/%s/*.json\n" "$name" >>"$dir/prometheus.yml"
  done
  cat >>"$dir/prometheus.yml" <<YAML
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: 127.0.0.1:$bb_port
YAML
  cat >"$dir/alertmanager.yml" <<YAML
# Written by K2 (scripts/lib/monitoring.sh) on every start; edits are lost.
route:
  receiver: k2
  # One notification group per K2 incident: service, environment and rule.
  group_by: [k2_entity, environment, k2_rule]
  group_wait: 1s
  group_interval: $interval
  repeat_interval: 1h
receivers:
  - name: k2
    webhook_configs:
      - url: $portal/api/k2-alerts/webhook/alertmanager
        send_resolved: true
        http_config:
          authorization:
            credentials_file: $abs/webhook-token
YAML
  cat >"$dir/blackbox.yml" <<YAML
# Written by K2 (scripts/lib/monitoring.sh) on every start; edits are lost.
modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
YAML
  promtool check config "$dir/prometheus.yml" >"$dir/check.log" 2>&1 &&
    amtool check-config "$dir/alertmanager.yml" >>"$dir/check.log" 2>&1 ||
    {
      cat "$dir/check.log" >&2
      k2_die "the generated monitoring configuration in $dir does not pass promtool/amtool"
      return 1
    }
}

# k2_start_monitoring DIR PORTAL_URL KUBECONFIG PROMETHEUS_PORT ALERTMANAGER_PORT BLACKBOX_PORT [INTERVAL]
# After the sandbox (its KUBECONFIG names the clusters to scrape) and before the backend:
# writes the configuration (k2_write_monitoring_config), starts the three processes in
# one process group (pid in $monitoring; call with `set -m` so it can be stopped as one),
# waits until each is ready, and exports K2_ALERTS_WEBHOOK_TOKEN for the backend.
# Returns 1, saying why, when a package is missing or a process does not start.
k2_start_monitoring() {
  local dir="$1" portal="$2" kubeconfig="$3" prom_port="$4" am_port="$5" bb_port="$6"
  local interval="${7:-5s}"
  monitoring=""
  k2_need_monitoring || return 1
  k2_write_monitoring_config "$@" || return 1
  (
    "$K2_PROMETHEUS_BIN" --config.file="$dir/prometheus.yml" \
      --storage.tsdb.path="$dir/data" --storage.tsdb.retention.time=2d \
      --web.listen-address="127.0.0.1:$prom_port" --web.enable-lifecycle \
      --rules.alert.resend-delay="$interval" >"$dir/prometheus.log" 2>&1 &
    "$K2_ALERTMANAGER_BIN" --config.file="$dir/alertmanager.yml" \
      --storage.path="$dir/alertmanager" --web.listen-address="127.0.0.1:$am_port" \
      --cluster.listen-address= >"$dir/alertmanager.log" 2>&1 &
    "$K2_BLACKBOX_BIN" --config.file="$dir/blackbox.yml" \
      --web.listen-address="127.0.0.1:$bb_port" >"$dir/blackbox.log" 2>&1 &
    wait
  ) &
  monitoring=$!
  local url deadline=$((SECONDS + 60))
  for url in "http://127.0.0.1:$prom_port/-/ready" "http://127.0.0.1:$am_port/-/ready" \
    "http://127.0.0.1:$bb_port/-/ready"; do
    until curl -fsS -o /dev/null "$url" 2>/dev/null; do
      if ! kill -0 "$monitoring" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
        tail -5 "$dir"/prometheus.log "$dir"/alertmanager.log "$dir"/blackbox.log >&2
        k2_die "$url did not answer; see the logs in $dir"
        kill -- -"$monitoring" 2>/dev/null || true
        monitoring=""
        return 1
      fi
      sleep 0.5
    done
  done
  K2_ALERTS_WEBHOOK_TOKEN="$(cat "$dir/webhook-token")"
  export K2_ALERTS_WEBHOOK_TOKEN
}

# k2_write_alerts_config FILE DIR PROMETHEUS_PORT ALERTMANAGER_PORT BLACKBOX_PORT
# A config layered over app-config.yaml pointing k2.alerts at a stack started by
# k2_start_monitoring with the same DIR and ports: every environment of
# K2_MONITORING_ENVIRONMENTS on the one Prometheus and Alertmanager, rule files under
# DIR/rules/<environment>. The webhook token stays app-config.yaml's
# ${K2_ALERTS_WEBHOOK_TOKEN}, which k2_start_monitoring exports.
k2_write_alerts_config() {
  local file="$1" dir="$2" prom_port="$3" am_port="$4" bb_port="$5" name abs
  mkdir -p "$dir"
  abs="$(cd "$dir" && pwd)"
  printf 'k2:\n  alerts:\n    environments:\n' >"$file"
  for name in $K2_MONITORING_ENVIRONMENTS; do
    cat >>"$file" <<YAML
      $name:
        prometheus: { url: http://127.0.0.1:$prom_port }
        alertmanager: { url: http://127.0.0.1:$am_port }
        blackbox: { address: 127.0.0.1:$bb_port }
        delivery: { type: files, directory: $abs/rules/$name, probeDirectory: $abs/probes/$name }
YAML
  done
}
