#!/usr/bin/env bash
# Makes sure the Dockerfile's FROM image exists in podman's local store, so `podman build` never has to
# pull it. The real image is tried first; where no registry is reachable (these build machines), a
# stand-in is built under the same name: a Debian bookworm minbase root file system (Debian's mirror is
# reachable) with this machine's own Node.js and npm at the paths the official image uses, and its
# `node` user (uid/gid 1000). The image store is the cache: a second run finds the image and returns.
#
# Usage: base-image.sh IMAGE   (needs root, podman, debootstrap; CONTAINERS_CONF set by the caller)
set -euo pipefail
image="${1:?usage: base-image.sh IMAGE}"

if podman image exists "$image"; then
  echo "base image: $image (cached: $(podman image inspect --format '{{index .Labels "io.telegate.stand-in"}}' "$image" | sed 's/^$/pulled/;s/^true$/stand-in/'))"
  exit 0
fi
if [ -z "${TELEGATE_STAND_IN_BASE:-}" ] && timeout 300 podman pull -q "$image" >/dev/null 2>&1; then
  echo "base image: $image (pulled)"
  exit 0
fi

echo "base image: $image cannot be pulled; building a stand-in from debootstrap and $(command -v node) $(node --version)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
want_major="$(sed -n 's/.*node:\([0-9]*\).*/\1/p' <<<"$image")"
if [ -n "$want_major" ] && [ "$node_major" != "$want_major" ]; then
  echo "base image: this machine runs Node.js $node_major, the image is Node.js $want_major; refusing a misleading stand-in" >&2
  exit 1
fi

root="$(mktemp -d /var/tmp/telegate-base.XXXXXX)"
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase bookworm "$root" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >/dev/null

# Node.js where the official image has it: /usr/local/bin, npm beside it in /usr/local/lib/node_modules.
node_bin="$(readlink -f "$(command -v node)")"
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
install -m 0755 "$node_bin" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
# The official image's user, which Dockerfiles (ours included) name with `USER node`.
chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
# Where this machine's npm (or Node, through NODE_EXTRA_CA_CERTS) trusts its own CA bundle (a TLS-inspecting proxy in front of the registry), the
# image's npm must trust it too, or `npm ci` in the build cannot reach the registry. npm's global config
# only: telegate's own run-time trust store stays the image's.
cafile="$(npm config get cafile 2>/dev/null || true)"
if [ -z "$cafile" ] || [ "$cafile" = null ]; then cafile="${NODE_EXTRA_CA_CERTS:-}"; fi
if [ -n "$cafile" ] && [ "$cafile" != null ] && [ -f "$cafile" ]; then
  install -D -m 0644 "$cafile" "$root/etc/ssl/certs/npm-build-ca.crt"
  mkdir -p "$root/usr/local/etc"
  echo 'cafile=/etc/ssl/certs/npm-build-ca.crt' > "$root/usr/local/etc/npmrc"
fi
# What the slim image leaves out too: package lists and caches.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb

tar -C "$root" -c . | podman import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$(node -p 'process.versions.node')" \
  --change 'LABEL io.telegate.stand-in=true' \
  --change 'CMD ["node"]' \
  - "$image" >/dev/null
echo "base image: $image (stand-in built)"
