#!/usr/bin/env bash
# The local Git server (packages/git-server): git's own smart-HTTP backend on loopback,
# where the scaffolder publishes new services' repositories in development and whose
# pushes send signed GitHub-format push webhooks. Repositories and credentials live
# under one directory:
#
#   DIR/<owner>/<name>.git   bare repositories (HEAD main), each with K2's post-receive hook
#   DIR/.push-token          the push password (user k2), generated on the first start
#   DIR/.git-credentials     the same as a git credential store file for this URL
#
# ./k2 start serves it on 127.0.0.1:7108; 7118 is kept for the end-to-end runs.

# k2_start_git_server LOGFILE DIR PORT [WEBHOOK_URL...]
# Starts it in the background (pid in $git_server; call with `set -m` so it can be
# stopped as a group) and waits until it answers. With WEBHOOK_URLs, push events are
# signed with the secret in DIR/.webhook-secret (generated, mode 600, when missing).
# Returns 1, saying why, when git is missing, the port is taken or the start fails:
# K2 then runs without it.
k2_start_git_server() {
  local log="$1" dir="$2" port="$3"
  shift 3
  git_server=""
  if ! k2_need_package git git "the local Git server new services are published to"; then
    k2_log "no local Git server: the scaffolder cannot publish to it"
    return 1
  fi
  if [ ! -x "$(git --exec-path)/git-http-backend" ]; then
    k2_log "no local Git server: git has no git-http-backend ($(git --exec-path))"
    return 1
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    k2_log "no local Git server: 127.0.0.1:$port is taken (is another K2 running?)"
    return 1
  fi
  mkdir -p "$dir" "$(dirname "$log")"
  local args=(--root "$dir" --port "$port")
  if [ $# -gt 0 ]; then
    if [ ! -s "$dir/.webhook-secret" ]; then
      (umask 077 && node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("hex"))' \
        >"$dir/.webhook-secret")
    fi
    args+=(--webhook-secret-file "$dir/.webhook-secret")
    local url
    for url in "$@"; do
      args+=(--webhook-url "$url")
    done
  fi
  node packages/git-server/bin/k2-git-server "${args[@]}" >"$log" 2>&1 &
  git_server=$!
  local deadline=$((SECONDS + 60))
  until grep -q 'git server ready' "$log" 2>/dev/null; do
    if ! kill -0 "$git_server" 2>/dev/null; then
      sed 's/^/  /' "$log" >&2
      k2_log "the local Git server did not start (see $log); K2 runs without it"
      git_server=""
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      k2_log "the local Git server did not answer within a minute (see $log); K2 runs without it"
      kill -- -"$git_server" 2>/dev/null || kill "$git_server" 2>/dev/null || true
      git_server=""
      return 1
    fi
    sleep 0.5
  done
}
