#!/usr/bin/env bash
# `npm run test:container`: builds telegate's image from the Dockerfile and runs it as a deployment would
# (read-only root, non-root, audit on a volume, SIGTERM to stop), then checks it from the outside
# (test/container/image.container.ts). Needs root: it installs podman, runc and debootstrap with apt-get
# when missing, and runs rootful podman with the settings these machines need (shared/containers.md).
#
# Environment: TELEGATE_TEST_IMAGE (default localhost/telegate:container-test), TELEGATE_STAND_IN_BASE=1
# to skip trying to pull the base image.
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$SECONDS
stamp() { echo "[test:container] $*"; }

if [ "$(id -u)" != 0 ]; then
  stamp "needs root (apt-get, rootful podman); run it as root or in a root CI job" >&2
  exit 2
fi

missing=()
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || missing+=(runc)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  stamp "installing ${missing[*]}"
  t=$SECONDS
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
  stamp "installed in $((SECONDS - t)) s"
fi

# crun fails here ("cgroups in hybrid mode not supported"): runc with cgroupfs. Without an empty
# default_ulimits the start fails on setrlimit RLIMIT_NOFILE.
CONTAINERS_CONF="$(mktemp)"
export CONTAINERS_CONF
trap 'rm -f "$CONTAINERS_CONF"' EXIT
cat > "$CONTAINERS_CONF" <<'CONF'
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
CONF

base="$(sed -n 's/^ARG NODE_IMAGE=//p' Dockerfile)"
case "$base" in */*) ;; *) base="docker.io/library/$base" ;; esac
t=$SECONDS
test/container/base-image.sh "$base"
base_s=$((SECONDS - t))
stamp "base image ready in ${base_s} s"

export TELEGATE_TEST_IMAGE="${TELEGATE_TEST_IMAGE:-localhost/telegate:container-test}"
t=$SECONDS
# --format docker keeps HEALTHCHECK (the OCI format has no field for it); --network host lets npm ci
# reach the registry.
podman build --quiet --format docker --network host -t "$TELEGATE_TEST_IMAGE" . >/dev/null
build_s=$((SECONDS - t))
stamp "image $TELEGATE_TEST_IMAGE built in ${build_s} s ($(podman image inspect --format '{{.Size}}' "$TELEGATE_TEST_IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"

# The host-side `telegate audit verify` the test runs on the volume uses this checkout's build.
t=$SECONDS
npm run --silent build
stamp "host build in $((SECONDS - t)) s"

t=$SECONDS
status=0
npm run --silent jest -- --config test/container/jest.config.js || status=$?
stamp "container test in $((SECONDS - t)) s; total $((SECONDS - started)) s (base image ${base_s} s, image build ${build_s} s)"
exit $status
