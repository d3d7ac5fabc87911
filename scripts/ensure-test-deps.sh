#!/usr/bin/env bash
# The system programs `npm test` drives, beside the npm packages: Debian's Chromium (the web console's
# browser tests, through playwright-core) and openssl (test certificates). Installed with apt when
# missing and running as root (CI, containers, fresh machines); otherwise the missing ones are named.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} (Debian packages the tests drive)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "npm test needs: ${missing[*]} (e.g. sudo apt-get install -y ${missing[*]})" >&2
  exit 1
fi
