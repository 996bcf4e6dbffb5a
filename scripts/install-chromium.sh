#!/usr/bin/env bash
# make test runs this before the tests: the browser tests of the sandbox's
# Security page (internal/sandbox/app_browser_test.go) drive a headless
# Chromium. It installs Debian's chromium when none is on PATH and it runs as
# root (as CI does); otherwise it says why not, and those tests skip.
set -euo pipefail

for browser in chromium chromium-browser google-chrome google-chrome-stable; do
  if command -v "$browser" >/dev/null; then
    exit 0
  fi
done
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
  echo "install-chromium: no Chromium on PATH and no root apt-get to install it; the browser tests will skip." >&2
  exit 0
fi
echo "install-chromium: installing Debian's chromium for the browser tests"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq chromium; } >/tmp/install-chromium.log 2>&1; then
  tail -n 20 /tmp/install-chromium.log >&2
  echo "install-chromium: apt-get failed; the browser tests will skip." >&2
fi
