#!/usr/bin/env bash
# Headless Chromium for tests/test_report_browser.py, which opens the report of the bundled sample in it
# (DevTools protocol over a pipe: no network request, no console error, a screenshot that is not blank).
# Installs Debian's package where no chromium binary is on PATH; as root directly, otherwise with sudo
# when sudo works without a password. Starts nothing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo ".ci/chromium.sh: Chromium is not installed and apt-get is missing (install the chromium package)" >&2
    exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    echo ".ci/chromium.sh: Chromium is not installed and cannot be installed here (needs root or sudo)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium >/dev/null 2>&1 || { echo ".ci/chromium.sh: chromium missing after install" >&2; exit 1; }
