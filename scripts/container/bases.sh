#!/usr/bin/env bash
# Local base images for machines without an image registry (see README "Containers"): a Debian
# bookworm minbase from debootstrap, then
#   localhost/skinsight-base/node:20       that Debian + this machine's Node 20 and npm + a `node` user
#   localhost/skinsight-base/postgres:15   that Debian + Debian's postgresql-15 (official image's env)
#   localhost/skinsight-base/redis:7       that Debian + Debian's redis-server
# Each image carries a label with a hash of its inputs (these files, the mirror, Node's and npm's
# versions, the week); a later run with the same inputs reuses it (SKINSIGHT_REBUILD_BASES=1
# forces a rebuild). Needs root, podman, debootstrap and the Debian mirror.
#   bases.sh [node|services|all]   node: Debian + Node; services: Debian + PostgreSQL and Redis
set -euo pipefail
which="${1:-all}"
here="$(cd "$(dirname "$0")" && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"
mirror="${SKINSIGHT_DEBIAN_MIRROR:-$(grep -rhoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | grep -oE "https?://[^ ]+" | head -1 || true)}"
mirror="${mirror:-http://deb.debian.org/debian}"
repo="localhost/skinsight-base"

log() { printf '[bases] %s\n' "$*" >&2; }
key_of() { { cat "$0" "$here"/base-*.Containerfile "$here"/postgres-entrypoint.sh; printf '%s\n' "$@"; } | sha256sum | cut -c1-16; }
# True when IMAGE exists and was built from the same inputs.
fresh() {
  [ "${SKINSIGHT_REBUILD_BASES:-}" != 1 ] || return 1
  [ "$(podman image inspect --format '{{ index .Labels "skinsight.inputs" }}' "$1" 2>/dev/null)" = "$2" ]
}

node_version="$(node --version)"
npm_version="$(npm --version)"
# The ISO week is an input too: the bases pick up Debian's security updates at least weekly.
debian_key="$(key_of debian "$mirror" "$(date -u +%G-W%V)")"
node_key="$(key_of node "$debian_key" "$node_version" "$npm_version")"

tmp="$(mktemp -d /tmp/skinsight-bases.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT

if ! fresh "$repo/debian:bookworm" "$debian_key"; then
  log "debootstrap --variant=minbase bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$tmp/rootfs" "$mirror" >"$tmp/debootstrap.log" 2>&1 || {
    tail -20 "$tmp/debootstrap.log" >&2
    exit 1
  }
  # What a container never needs: docs, man pages, translations, apt's downloaded lists.
  rm -rf "$tmp"/rootfs/usr/share/{doc,man,info,locale}/* "$tmp"/rootfs/var/lib/apt/lists/* "$tmp"/rootfs/var/cache/apt/*.bin
  tar -C "$tmp/rootfs" -c . | podman import --change "LABEL skinsight.inputs=$debian_key" --change 'CMD ["bash"]' - "$repo/debian:bookworm" >/dev/null 2>&1
  rm -rf "$tmp/rootfs"
fi

if [ "$which" != services ] && ! fresh "$repo/node:20" "$node_key"; then
  log "node $node_version + npm $npm_version from this machine"
  # The files of this machine's nodejs package that matter in an image (binary, headers for native
  # addons, bundled npm and corepack) plus the newer global npm; their symlinks in /usr/bin.
  prefix="$(dirname "$(dirname "$(command -v node)")")"
  mkdir -p "$tmp/node"
  tar -C / -c "${prefix#/}/bin/node" "${prefix#/}/bin/npm" "${prefix#/}/bin/npx" "${prefix#/}/include/node" \
    "${prefix#/}/lib/node_modules/npm" $( [ -d "$prefix/lib/node_modules/corepack" ] && echo "${prefix#/}/lib/node_modules/corepack" "${prefix#/}/bin/corepack") >"$tmp/node/node.tar"
  podman build --quiet --network none --label "skinsight.inputs=$node_key" --build-arg "DEBIAN=$repo/debian:bookworm" \
    -f "$here/base-node.Containerfile" -t "$repo/node:20" "$tmp/node" >/dev/null
fi

for svc in postgres:15 redis:7; do
  [ "$which" != node ] || break
  name="${svc%%:*}"
  svc_key="$(key_of "$name" "$debian_key")"
  fresh "$repo/$svc" "$svc_key" && continue
  log "$svc from Debian's packages"
  # apt inside the build reaches the mirror through the host's network.
  podman build --quiet --network host --label "skinsight.inputs=$svc_key" --build-arg "DEBIAN=$repo/debian:bookworm" \
    -f "$here/base-$name.Containerfile" -t "$repo/$svc" "$here" >/dev/null
done

log "ready ($which)"
