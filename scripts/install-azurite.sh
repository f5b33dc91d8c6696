#!/usr/bin/env bash
# Installs Azurite (the Azure Storage emulator the Functions tests start) from the npm registry into node_modules/,
# pinned by package.json and package-lock.json, and prints the path of its launcher.
# Idempotent: when node_modules/.bin/azurite already reports the locked version, nothing is installed.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
azurite="$repo_root/node_modules/.bin/azurite"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "Node.js and npm are needed to install Azurite (the storage emulator the Functions tests start); install them (e.g. apt-get install nodejs npm) and run again" >&2
  exit 1
fi
locked="$(node -p "require('./package-lock.json').packages['node_modules/azurite'].version")"

if [[ -x "$azurite" ]] && [[ "$("$azurite" --version 2>/dev/null)" == "$locked" ]]; then
  echo "$azurite"
  exit 0
fi

npm ci --no-audit --no-fund --loglevel=error >&2
"$azurite" --version >&2
echo "$azurite"
