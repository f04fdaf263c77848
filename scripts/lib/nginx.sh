#!/usr/bin/env bash
# ./k2 start's local Nginx cluster: Debian's nginx on loopback ports, its prefix under
# .k2/nginx (nothing under /etc or /var), serving the bundle of the development cluster
# edge-test (app-config.yaml) that the k2-nginx-agent pulls from the started backend.

K2_NGINX_HTTP_PORT="${K2_NGINX_HTTP_PORT:-8480}"
K2_NGINX_HTTPS_PORT="${K2_NGINX_HTTPS_PORT:-8443}"
# The development-only token app-config.yaml gives edge-test.
K2_NGINX_DEV_TOKEN=dev-only-edge-test-agent-token-not-a-secret

k2_nginx_binary() {
  if [ -x /usr/sbin/nginx ]; then echo /usr/sbin/nginx; else command -v nginx || true; fi
}

# k2_prepare_nginx DIR
# Before the backend starts: writes DIR/nginx.conf and DIR/templates (K2's site
# templates with their listens on the loopback ports) and points the backend at those
# templates (APP_CONFIG_k2_traffic_templatesDirectory). Returns 1, saying what to
# install, when nginx is missing; K2 then starts without its local Nginx.
k2_prepare_nginx() {
  local dir="$1" bin template
  bin="$(k2_nginx_binary)"
  if [ -z "$bin" ]; then
    k2_log "nginx is not installed, so K2 starts without its local Nginx cluster (install it with: sudo apt-get install nginx)"
    return 1
  fi
  mkdir -p "$dir/logs" "$dir/temp"
  rm -rf "$dir/templates"
  mkdir -p "$dir/templates"
  for template in plugins/k2-traffic-backend/templates/*; do
    sed -e "s/listen 80;/listen 127.0.0.1:$K2_NGINX_HTTP_PORT;/g" \
      -e "s/listen 443 ssl;/listen 127.0.0.1:$K2_NGINX_HTTPS_PORT ssl;/g" \
      "$template" >"$dir/templates/$(basename "$template")"
  done
  export APP_CONFIG_k2_traffic_templatesDirectory="$k2_root/$dir/templates"
  cat >"$dir/nginx.conf" <<CONF
# ./k2 start's local Nginx (cluster edge-test, host localhost); rewritten on every start.
daemon off;
pid nginx.pid;
events {
    worker_connections 512;
}
http {
    access_log logs/access.log;
    server_names_hash_max_size 65536;
    server_names_hash_bucket_size 128;
    variables_hash_max_size 65536;
    variables_hash_bucket_size 128;
    client_body_temp_path temp/client_body;
    proxy_temp_path temp/proxy;
    fastcgi_temp_path temp/fastcgi;
    uwsgi_temp_path temp/uwsgi;
    scgi_temp_path temp/scgi;
    server {
        listen 127.0.0.1:$K2_NGINX_HTTP_PORT default_server;
        return 404 "No K2 site answers this Host\n";
    }
    include k2/k2.conf;
}
CONF
}

# k2_start_nginx DIR K2_URL
# Starts nginx (pid in $nginx) and the agent (pid in $nginx_agent) in the background.
# On the first start the agent runs once before nginx, to make the k2/ bundle nginx.conf
# includes; then nginx starts and the agent runs for good, reloading it on each bundle.
k2_start_nginx() {
  local dir="$1" url="$2" bin deadline first
  bin="$(k2_nginx_binary)"
  local agent=(node packages/k2-nginx-agent/bin/k2-nginx-agent --k2-url "$url"
    --cluster edge-test --host localhost --nginx "$bin"
    --nginx-conf "$k2_root/$dir/nginx.conf" --nginx-prefix "$k2_root/$dir/")
  if [ ! -e "$dir/k2/k2.conf" ]; then
    K2_AGENT_TOKEN="$K2_NGINX_DEV_TOKEN" "${agent[@]}" >>"$dir/agent.log" 2>&1 &
    first=$!
    deadline=$((SECONDS + 60))
    until [ -e "$dir/k2/k2.conf" ] || [ "$SECONDS" -ge "$deadline" ]; do sleep 0.5; done
    kill -TERM "$first" 2>/dev/null || true
    wait "$first" 2>/dev/null || true
  fi
  "$bin" -p "$k2_root/$dir/" -c "$k2_root/$dir/nginx.conf" -e logs/error.log \
    >>"$dir/nginx.log" 2>&1 &
  nginx=$!
  deadline=$((SECONDS + 20))
  until curl -s -o /dev/null "http://127.0.0.1:$K2_NGINX_HTTP_PORT/"; do
    if ! kill -0 "$nginx" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      k2_log "the local nginx did not start; see $dir/logs/error.log and $dir/nginx.log"
      return 1
    fi
    sleep 0.5
  done
  K2_AGENT_TOKEN="$K2_NGINX_DEV_TOKEN" "${agent[@]}" >>"$dir/agent.log" 2>&1 &
  nginx_agent=$!
}
