#!/usr/bin/env bash
# K2's base images for local builds (docs/builds.md, "Local builds and base images"):
# built with buildah from the recipes in plugins/k2-builds-backend/base-images/ and
# Debian's packages only (busybox-static, debootstrap from the host's apt source, apt
# inside RUN steps), pushed to the local registry as registry.northwind.example/k2-base/…
# Each image is kept as an OCI archive in the cache directory, named by a hash of its
# recipe, and loaded from there into a fresh registry until the recipe changes.
#
# Sourced by scripts/start.sh and scripts/test.sh, or run by hand:
#   bash scripts/lib/base-images.sh http://127.0.0.1:7104 .k2/cache/base-images python go-build java-build java

K2_BASE_RECIPES="plugins/k2-builds-backend/base-images"
# The images ./k2 start builds; the others are built by name, by hand.
K2_BASE_DEFAULT="busybox debian node node-build"
K2_BASE_ALL="busybox debian node node-build python go-build java-build java"
K2_BASE_SUITE="bookworm"

# k2_base_image_ref NAME: the repository path and tag of a recipe's image.
k2_base_image_ref() {
  case "$1" in
    busybox) echo "k2-base/busybox:1.35.0" ;;
    debian) echo "k2-base/debian:bookworm" ;;
    node) echo "k2-base/node:18-bookworm" ;;
    node-build) echo "k2-base/node-build:18-bookworm" ;;
    python) echo "k2-base/python:3.11-bookworm" ;;
    go-build) echo "k2-base/go-build:1.19-bookworm" ;;
    java-build) echo "k2-base/java-build:17-bookworm" ;;
    java) echo "k2-base/java:17-bookworm" ;;
    *) return 1 ;;
  esac
}

# k2_base_image_parent NAME: the recipe a recipe builds FROM (nothing for the roots).
k2_base_image_parent() {
  case "$1" in
    busybox | debian) ;;
    *) echo debian ;;
  esac
}

# The Debian mirror debootstrap reads: the host's apt source for the suite (deb822 or
# one-line format), else deb.debian.org.
k2_base_debian_mirror() {
  local mirror=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    mirror="$(awk -v suite="$K2_BASE_SUITE" '
      /^URIs:/ { uri = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite && uri != "") { print uri; exit } }
      /^$/ { uri = "" }' /etc/apt/sources.list.d/debian.sources)"
  fi
  if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
    mirror="$(awk -v suite="$K2_BASE_SUITE" '$1 == "deb" && $3 == suite { print $2; exit }' /etc/apt/sources.list)"
  fi
  echo "${mirror:-http://deb.debian.org/debian}"
}

# k2_base_recipe_hash NAME PARENT_HASH: what the image is made of — its recipe, its
# name, its parent's hash and its inputs from the host (busybox's binary, debootstrap's
# suite and mirror). 16 hex digits.
k2_base_recipe_hash() {
  local name="$1" parent_hash="$2"
  {
    echo "$name $(k2_base_image_ref "$name") parent=$parent_hash"
    cat "$K2_BASE_RECIPES/$name/Dockerfile"
    case "$name" in
      busybox) sha256sum /bin/busybox | cut -d' ' -f1 ;;
      debian) echo "debootstrap --variant=minbase $K2_BASE_SUITE $(k2_base_debian_mirror)" ;;
    esac
  } | sha256sum | cut -c1-16
}

# k2_base_registry_recipe REGISTRY_URL PATH TAG: the k2.io/base-recipe label of the
# image in the registry, or nothing when it is not there.
k2_base_registry_recipe() {
  node -e '
    const [url, path, tag] = process.argv.slice(1);
    const accept = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
    (async () => {
      const manifest = await fetch(`${url}/v2/${path}/manifests/${tag}`, { headers: { accept } });
      if (manifest.status !== 200) return;
      const config = (await manifest.json()).config;
      const blob = await fetch(`${url}/v2/${path}/blobs/${config.digest}`);
      if (blob.status !== 200) return;
      const labels = (await blob.json()).config?.Labels ?? {};
      process.stdout.write(labels["k2.io/base-recipe"] ?? "");
    })().catch(() => {});
  ' "$@"
}

# k2_build_base_images REGISTRY_URL CACHE_DIR [NAME...]
# Makes sure the registry at REGISTRY_URL (http://127.0.0.1:7104) holds the named base
# images (default: busybox, debian, node, node-build) built from their current recipes,
# with their parents first: an image the registry has from the same recipe is left
# alone, one cached in CACHE_DIR is loaded from there, any other is built (and cached).
# Needs buildah, and for the Debian images root and debootstrap. Returns 1 when an
# image could not be made.
k2_build_base_images() {
  local registry_url="${1:?registry URL}" cache="${2:?cache directory}"
  shift 2
  local wanted=("$@")
  [ "${#wanted[@]}" -gt 0 ] || read -r -a wanted <<<"$K2_BASE_DEFAULT"
  local endpoint="${registry_url#*://}"
  endpoint="${endpoint%%/*}"
  local tls=true
  case "$registry_url" in http://*) tls=false ;; esac

  # The order: every wanted image after its parent, each once.
  local order=() name
  for name in "${wanted[@]}"; do
    if ! k2_base_image_ref "$name" >/dev/null; then
      k2_die "no base image recipe '$name' (recipes: $K2_BASE_ALL)"
      return 1
    fi
    local parent
    parent="$(k2_base_image_parent "$name")"
    if [ -n "$parent" ] && [[ " ${order[*]} " != *" $parent "* ]]; then
      order+=("$parent")
    fi
    [[ " ${order[*]} " == *" $name "* ]] || order+=("$name")
  done

  if ! command -v buildah >/dev/null 2>&1; then
    k2_die "buildah is not installed: no base images (apt-get install buildah)"
    return 1
  fi
  mkdir -p "$cache"
  cache="$(cd "$cache" && pwd)"
  # One run at a time per cache (./k2 start's and the end-to-end stage's): a second
  # waits, then finds the first one's images cached. A run that was killed left its
  # directory; none is in use now.
  local lock
  exec {lock}>"$cache/.lock"
  flock "$lock"
  # While this file names a live process, local builds that need a k2-base image wait
  # (k2.builds.local.baseImagesCache).
  echo "$BASHPID" >"$cache/.building"
  rm -rf "$cache"/.work-*
  local work
  work="$(mktemp -d "$cache/.work-XXXXXX")"
  # A storage of its own (vfs, like the runner's), removed at the end: the images live
  # on in the registry and as archives.
  local storage=(--root "$work/storage" --runroot "$work/run" --storage-driver vfs)
  printf '{"default":[{"type":"insecureAcceptAnything"}]}\n' >"$work/policy.json"
  cat >"$work/registries.conf" <<EOF
unqualified-search-registries = []

[[registry]]
prefix = "registry.northwind.example"
location = "$endpoint"
insecure = $([ "$tls" = false ] && echo true || echo false)

[[registry]]
location = "$endpoint"
insecure = $([ "$tls" = false ] && echo true || echo false)
EOF
  local env=(env "CONTAINERS_REGISTRIES_CONF=$work/registries.conf" "HOME=$work" "TMPDIR=$work")

  local status=0
  declare -A hashes=()
  for name in "${order[@]}"; do
    local ref parent hash image archive started
    ref="$(k2_base_image_ref "$name")"
    parent="$(k2_base_image_parent "$name")"
    hash="$(k2_base_recipe_hash "$name" "${hashes[${parent:-none}]:-}")"
    hashes[$name]="$hash"
    image="registry.northwind.example/$ref"
    archive="$cache/${name}-${hash}.tar"
    started=$SECONDS

    if [ "$(k2_base_registry_recipe "$registry_url" "${ref%%:*}" "${ref##*:}")" = "$hash" ]; then
      k2_log "base image $ref: in the registry (recipe $hash)"
      continue
    fi
    if [ -f "$archive" ]; then
      k2_log "base image $ref: loading $(basename "$archive") into $endpoint"
      local id
      if id="$("${env[@]}" buildah "${storage[@]}" pull --quiet --signature-policy "$work/policy.json" \
        "oci-archive:$archive:$image")" && buildah "${storage[@]}" tag "$id" "$image"; then
        k2_log "base image $ref: loaded"
      else
        k2_log "base image $ref: the cached archive does not load; building it again"
        rm -f "$archive"
      fi
    fi
    if [ ! -f "$archive" ]; then
      local context="$work/context-$name"
      cp -r "$K2_BASE_RECIPES/$name" "$context"
      case "$name" in
        busybox)
          # Debian's dynamic busybox installs /bin/busybox too; FROM scratch needs the static one.
          if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
            k2_die "base image $ref needs busybox-static's /bin/busybox (apt-get install busybox-static)"
            status=1
            continue
          fi
          cp /bin/busybox "$context/busybox"
          ;;
        debian)
          if [ "$(id -u)" != 0 ] || ! command -v debootstrap >/dev/null 2>&1; then
            k2_die "base image $ref needs root and debootstrap (apt-get install debootstrap)"
            status=1
            continue
          fi
          local mirror
          mirror="$(k2_base_debian_mirror)"
          k2_log "base image $ref: debootstrap --variant=minbase $K2_BASE_SUITE from $mirror"
          if ! debootstrap --variant=minbase "$K2_BASE_SUITE" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
            tail -n 20 "$work/debootstrap.log" >&2
            k2_die "base image $ref: debootstrap failed (log above)"
            status=1
            continue
          fi
          rm -rf "$work/rootfs"/var/cache/apt/archives/*.deb "$work/rootfs"/var/lib/apt/lists/*
          tar --numeric-owner -C "$work/rootfs" -cf "$context/rootfs.tar" .
          rm -rf "$work/rootfs"
          ;;
      esac
      k2_log "base image $ref: building (recipe $hash)"
      # --pull=false: the parent is the one just made (in this storage, or pushed).
      if ! "${env[@]}" buildah "${storage[@]}" bud --isolation chroot --pull=false \
        --signature-policy "$work/policy.json" --label "k2.io/base-recipe=$hash" \
        -t "$image" "$context"; then
        k2_die "base image $ref: the build failed (output above)"
        status=1
        rm -rf "$context"
        continue
      fi
      rm -rf "$context"
      "${env[@]}" buildah "${storage[@]}" push --quiet --signature-policy "$work/policy.json" \
        "$image" "oci-archive:$archive.partial:$image" &&
        mv "$archive.partial" "$archive" &&
        find "$cache" -maxdepth 1 -name "${name}-*.tar" ! -name "$(basename "$archive")" -delete
    fi
    if ! "${env[@]}" buildah "${storage[@]}" push --quiet --signature-policy "$work/policy.json" \
      --tls-verify="$tls" "$image" "docker://$endpoint/$ref"; then
      k2_die "base image $ref: the push to $endpoint failed"
      status=1
      continue
    fi
    k2_log "base image $ref: pushed to $endpoint ($((SECONDS - started)) s)"
  done
  buildah "${storage[@]}" rm --all >/dev/null 2>&1 || true
  rm -f "$cache/.building"
  rm -rf "$work"
  flock -u "$lock"
  exec {lock}>&-
  return "$status"
}

# k2_start_base_images LOGFILE REGISTRY_URL CACHE_DIR
# Builds the default base images in the background (pid in $base_images), logging to
# LOGFILE; builds started meanwhile whose base is not there yet say so in their log.
k2_start_base_images() {
  local log="$1" registry_url="$2" cache="$3"
  base_images=""
  if ! k2_need_package buildah buildah "building services' images locally"; then
    k2_log "no buildah: builds are unavailable (the Builds tab says why)"
    return 1
  fi
  k2_need_package /bin/busybox busybox-static "the busybox base image" || true
  k2_need_package debootstrap debootstrap "the Debian base images" || true
  mkdir -p "$(dirname "$log")"
  (k2_build_base_images "$registry_url" "$cache" && echo "base images ready") >"$log" 2>&1 &
  base_images=$!
  k2_log "building the base images in the background (log in $log)"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cd "$(dirname "${BASH_SOURCE[0]}")/../.."
  . scripts/lib/bootstrap.sh
  k2_ensure_node
  k2_build_base_images "$@"
fi
