#!/usr/bin/env bash
# Bootstraps the toolchain K2 needs on a machine that has only Node 20 and npm:
# a local Node 22 (from the npm registry's node-linux-* package), Yarn through corepack,
# the workspace dependencies (with native addons built against the local Node headers).
#
# Source it (`. scripts/lib/bootstrap.sh`) so PATH changes reach the caller.
# Everything lands in .k2/ (git-ignored); a second run is a no-op when nothing changed.

k2_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
k2_tools="$k2_root/.k2/tools"
k2_node_major=22

k2_log() { printf '\033[1;34m[k2]\033[0m %s\n' "$*" >&2; }
k2_die() { printf '\033[1;31m[k2]\033[0m %s\n' "$*" >&2; return 1; }

k2_arch() {
  case "$(uname -m)" in
    x86_64) echo x64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) k2_die "unsupported CPU architecture $(uname -m)" ;;
  esac
}

k2_ensure_node() {
  local current
  current="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$current" = 22 ] || [ "$current" = 24 ]; then
    return 0
  fi
  local pkg="node-linux-$(k2_arch)"
  local dir="$k2_tools/node"
  if [ ! -x "$dir/node_modules/$pkg/bin/node" ]; then
    command -v npm >/dev/null || k2_die "npm is required to fetch Node $k2_node_major" || return 1
    k2_log "installing Node $k2_node_major into .k2/tools/node (Backstage needs 22 or 24; found ${current})"
    mkdir -p "$dir"
    # A package.json of its own, so npm does not treat the repository's workspace
    # root as the project to install into.
    [ -f "$dir/package.json" ] || echo '{ "private": true }' >"$dir/package.json"
    npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error \
      "$pkg@$k2_node_major" >/dev/null ||
      k2_die "could not install $pkg@$k2_node_major from the npm registry" || return 1
  fi
  export PATH="$dir/node_modules/$pkg/bin:$PATH"
  # node-gyp builds native addons (better-sqlite3, isolated-vm) against these headers
  # instead of downloading them.
  export npm_config_nodedir="$dir/node_modules/$pkg"
}

k2_ensure_yarn() {
  local bin="$k2_tools/bin"
  export COREPACK_NPM_REGISTRY="${COREPACK_NPM_REGISTRY:-$(npm config get registry 2>/dev/null | sed 's#/$##')}"
  export COREPACK_ENABLE_DOWNLOAD_PROMPT=0
  export COREPACK_DEFAULT_TO_LATEST=0
  export COREPACK_HOME="$k2_tools/corepack"
  if [ ! -x "$bin/yarn" ]; then
    mkdir -p "$bin"
    corepack enable --install-directory "$bin" ||
      k2_die "corepack could not install the yarn shim" || return 1
  fi
  export PATH="$bin:$PATH"
}

k2_ensure_deps() {
  local stamp="$k2_root/node_modules/.k2-install-stamp"
  local want
  want="$(cat "$k2_root/yarn.lock" "$k2_root/package.json" 2>/dev/null | cksum | cut -d' ' -f1)-$(node -v)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  k2_log "installing dependencies (a cold install takes a few minutes)"
  (cd "$k2_root" && yarn install --immutable) || k2_die "yarn install failed" || return 1
  echo "$want" >"$stamp"
}

k2_bootstrap() {
  k2_ensure_node && k2_ensure_yarn && k2_ensure_deps
}
