#!/usr/bin/env bash
# System packages the test suite needs. Installed with apt-get when running as root;
# otherwise reported by name. Under CI=true a missing package is fatal, never a skip.

# k2_need_package COMMAND DEBIAN_PACKAGE PURPOSE
# Returns 0 when COMMAND is available (after installing it if possible), 1 otherwise.
k2_need_package() {
  local cmd="$1" pkg="$2" purpose="$3"
  if command -v "$cmd" >/dev/null 2>&1 || [ -x "$cmd" ]; then
    return 0
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    k2_log "installing Debian package '$pkg' ($purpose)"
    if [ -z "${K2_APT_UPDATED:-}" ]; then
      apt-get update -qq >/dev/null && K2_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null || true
    if command -v "$cmd" >/dev/null 2>&1 || [ -x "$cmd" ]; then
      return 0
    fi
  fi
  if [ "${CI:-}" = true ]; then
    k2_die "missing Debian package '$pkg' (needed for $purpose); CI runs every suite, so this is fatal"
    exit 1
  fi
  k2_log "MISSING: Debian package '$pkg' (needed for $purpose). Install it with: sudo apt-get install $pkg"
  return 1
}

# The directory holding initdb/pg_ctl/postgres, or nothing.
k2_postgres_bindir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ]; then
      echo "$dir"
      return 0
    fi
  done
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir
  fi
}
