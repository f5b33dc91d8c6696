#!/usr/bin/env bash
# Installs Debian's Chromium (package chromium, /usr/bin/chromium), the browser the web page's tests drive through
# Playwright's ExecutablePath: Playwright's own browser downloads cannot be fetched here. Needs root (apt-get).
# Idempotent: when /usr/bin/chromium answers --version, nothing is installed. Prints the browser's path.
set -euo pipefail

chromium=/usr/bin/chromium

if [[ -x "$chromium" ]] && "$chromium" --version >/dev/null 2>&1; then
  echo "$chromium"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends chromium fonts-dejavu-core >&2; then
  apt-get update >&2
  apt-get install -y --no-install-recommends chromium fonts-dejavu-core >&2
fi
"$chromium" --version >&2
echo "$chromium"
