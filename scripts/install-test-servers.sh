#!/usr/bin/env bash
# Installs, from Debian's packages, the servers that the tests and the benchmark start for
# themselves: PostgreSQL, Redis, the wrk load generator, and the Chromium that the browser
# tests drive (Playwright never downloads one of its own). Installs only what is missing,
# so a second run costs nothing. Nothing is started here and no cluster is configured: the
# test fixtures run their own throwaway servers in temporary folders.
set -euo pipefail

missing=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v wrk >/dev/null || missing+=(wrk)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
fi
echo "installing ${missing[*]} from Debian's packages" >&2
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
