#!/usr/bin/env bash
# Install headless Chromium (Debian's `chromium` package) for the fleet HTML report test
# (tests/cli/test_fleet_report.py opens the report in it). The tests never install anything
# themselves: they skip without a browser, and fail instead under CI=true, so CI runs this first.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium is missing and this is not a Debian-like system: install Chromium and put it on PATH" >&2
    exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium
chromium --version
