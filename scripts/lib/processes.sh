#!/usr/bin/env bash
# Stopping what a K2 script started, completely: each service runs in its own process
# group (`set -m`), and a stop ends the group with everything the service started in
# groups of their own (buildah under the portal), within a bounded time.

# k2_close_inherited_fds
# Closes every descriptor above 2 this shell inherited. A caller's lock stays held by
# the caller (`flock /tmp/k2-e2e.lock ./k2 test e2e` keeps it in flock itself until the
# command ends), but no portal, sandbox or registry started here holds a copy of it, so
# none can keep the next `flock` waiting after this script ended. Bash reads the
# script on descriptor 255, which stays.
k2_close_inherited_fds() {
  local entry fd
  for entry in /proc/"$BASHPID"/fd/*; do
    fd="${entry##*/}"
    case "$fd" in 0 | 1 | 2 | 255) continue ;; esac
    # The directory listing's own descriptor is among them, closed by then: a no-op.
    # (A redirection on exec itself would stay; on the group it is undone.)
    { exec {fd}>&-; } 2>/dev/null || true
  done
}

# k2_group_pids PGID
# The processes of process group PGID that still run (zombies excluded), one a line.
k2_group_pids() {
  local file line fields
  for file in /proc/[0-9]*/stat; do
    { read -r line <"$file"; } 2>/dev/null || continue
    # After the command name in parentheses: state, ppid, pgrp, ...
    read -r -a fields <<<"${line##*) }"
    if [ "${fields[2]:-}" = "$1" ] && [ "${fields[0]}" != Z ]; then
      file="${file#/proc/}"
      echo "${file%/stat}"
    fi
  done
}

# k2_descendant_groups PID...
# The process groups of every descendant of the PIDs (their own included), one a line.
k2_descendant_groups() {
  local file line fields
  local -A parent=() group=() seen=()
  for file in /proc/[0-9]*/stat; do
    { read -r line <"$file"; } 2>/dev/null || continue
    read -r -a fields <<<"${line##*) }"
    file="${file#/proc/}"
    parent[${file%/stat}]="${fields[1]}"
    group[${file%/stat}]="${fields[2]}"
  done
  local pid ancestor
  for pid in "${!parent[@]}"; do
    ancestor="$pid"
    while [ -n "$ancestor" ] && [ "$ancestor" != 0 ] && [ "$ancestor" != 1 ]; do
      if [[ " $* " == *" $ancestor "* ]]; then
        [ -z "${seen[${group[$pid]}]:-}" ] && seen[${group[$pid]}]=1 && echo "${group[$pid]}"
        break
      fi
      ancestor="${parent[$ancestor]:-}"
    done
  done
}

# k2_stop_groups GRACE_SECONDS PGID...
# Sends SIGTERM to each process group (empty arguments are skipped) and to the groups
# its processes started, waits up to GRACE_SECONDS for all of them to end, then sends
# SIGKILL to what is left, naming it, and waits for that too. Returns once none runs.
k2_stop_groups() {
  local grace="$1" pgid pid left
  shift
  local -a groups=()
  for pgid in "$@"; do
    [ -n "$pgid" ] && groups+=("$pgid")
  done
  [ ${#groups[@]} -gt 0 ] || return 0
  # Never this script's own group (a child started without `set -m` is in it).
  local own line fields
  read -r line </proc/$$/stat
  read -r -a fields <<<"${line##*) }"
  own="${fields[2]}"
  mapfile -t groups < <(k2_descendant_groups "${groups[@]}"; printf '%s\n' "${groups[@]}")
  mapfile -t groups < <(printf '%s\n' "${groups[@]}" | grep -vx "$own" | sort -u)
  [ ${#groups[@]} -gt 0 ] || return 0
  for pgid in "${groups[@]}"; do
    kill -TERM -- -"$pgid" 2>/dev/null || true
  done
  local deadline=$((SECONDS + grace)) killed=0
  while :; do
    left=""
    for pgid in "${groups[@]}"; do
      left+="$(k2_group_pids "$pgid")"
    done
    [ -z "$left" ] && return 0
    if [ "$killed" = 0 ] && [ "$SECONDS" -ge "$deadline" ]; then
      for pgid in "${groups[@]}"; do
        for pid in $(k2_group_pids "$pgid"); do
          k2_log "still running ${grace} s after SIGTERM, killed: $pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-160)"
        done
        kill -KILL -- -"$pgid" 2>/dev/null || true
      done
      killed=1
      deadline=$((SECONDS + 10))
    elif [ "$killed" = 1 ] && [ "$SECONDS" -ge "$deadline" ]; then
      k2_die "processes of groups ${groups[*]} survived SIGKILL (uninterruptible?)"
      return 1
    fi
    sleep 0.2
  done
}
