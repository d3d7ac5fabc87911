#!/usr/bin/env bash
# Runs a command with Node.js 24 (the line telegate supports) first on PATH:
#
#   scripts/node24.sh npm ci && scripts/node24.sh npm test
#
# - If the `node` already on PATH is 24 or newer, the command runs with it, unchanged.
# - Otherwise the official Node.js binary, which the npm registry carries as the package
#   node-linux-<arch>@NODE24_VERSION, is fetched once with `npm pack` (npm checks the registry's integrity
#   hash) into a cache folder, and its bin/ is put first on PATH for the command. The machine's own npm
#   then runs on that Node too (npm is a Node script found through PATH).
# - Idempotent: the second run finds the cached binary and only execs. Nothing outside the cache folder
#   changes; the machine's Node is left alone.
#
# Environment: NODE24_VERSION (default below), TELEGATE_NODE_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/telegate). Linux x64 and arm64 only; elsewhere install Node 24 yourself.
set -euo pipefail

version="${NODE24_VERSION:-24.22.3}"
want_major="${version%%.*}"

if [ $# -eq 0 ]; then
  echo "usage: scripts/node24.sh COMMAND [ARG...]   (runs COMMAND with Node.js >= $want_major first on PATH)" >&2
  exit 2
fi

current_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if command -v node >/dev/null 2>&1 && [ "$(current_major)" -ge "$want_major" ]; then
  exec "$@"
fi

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) arch=x64 ;;
  Linux/aarch64 | Linux/arm64) arch=arm64 ;;
  *) echo "scripts/node24.sh: no Node.js $want_major package for $(uname -s)/$(uname -m); install Node.js $want_major and rerun" >&2
     exit 2 ;;
esac

cache="${TELEGATE_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/telegate}"
home="$cache/node-v$version-linux-$arch"
if [ ! -x "$home/bin/node" ]; then
  command -v npm >/dev/null 2>&1 || { echo "scripts/node24.sh: npm is needed to fetch Node.js $version" >&2; exit 2; }
  mkdir -p "$cache"
  work="$(mktemp -d "$cache/.fetch.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  echo "scripts/node24.sh: fetching Node.js $version (npm package node-linux-$arch@$version) into $home" >&2
  (cd "$work" && npm pack --silent "node-linux-$arch@$version" >/dev/null)
  mkdir -p "$work/node"
  # The binary, its licence and docs; the C headers (for native add-ons, which telegate has none of) stay out.
  tar -xzf "$work"/node-linux-"$arch"-"$version".tgz -C "$work/node" --strip-components=1 \
    package/bin/node package/LICENSE package/package.json
  "$work/node/bin/node" -e 'process.exit(0)'
  # A rename is atomic: a concurrent run sees either no folder or a whole one.
  mv -T "$work/node" "$home" 2>/dev/null || [ -x "$home/bin/node" ]
fi

# npm reads its global npmrc from the prefix of the Node it runs on. Keep the machine's (a registry mirror,
# a CA file for a TLS-inspecting proxy, lockfile settings) when npm now runs on the cached Node instead.
if [ -z "${NPM_CONFIG_GLOBALCONFIG:-}" ] && command -v node >/dev/null 2>&1; then
  machine_npmrc="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")/etc/npmrc"
  [ -f "$machine_npmrc" ] && export NPM_CONFIG_GLOBALCONFIG="$machine_npmrc"
fi
export PATH="$home/bin:$PATH"
exec "$@"
