#!/usr/bin/env bash
# Installs Debian's Chromium (/usr/bin/chromium) for the browser tests, which drive it headless
# with playwright-core. Idempotent: nothing to do when it is already installed. Needs root or sudo.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "setup: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) already installed" >&2
  exit 0
fi
sudo=''
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo 'setup-chromium: needs root (or sudo) to run apt-get' >&2; exit 1; }
  sudo='sudo'
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
$sudo apt-get install -y chromium
echo "setup: $(/usr/bin/chromium --version) installed" >&2
