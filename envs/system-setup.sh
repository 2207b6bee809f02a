#!/usr/bin/env bash
# System packages some tests use, installed with apt (one `apt-get update`) when run as root:
#   chromium   opens the Snakemake report headless (tests/test_report.py)
# Without root or apt the tests that need them skip and say why; nothing else depends on this.
#   sudo bash envs/system-setup.sh
set -euo pipefail
packages=(chromium)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "[system-setup] already installed: ${packages[*]}"
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "[system-setup] skipped (needs root and apt): ${missing[*]}; the tests that need them will skip"
    exit 0
fi
echo "[system-setup] apt-get install ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
echo "[system-setup] done: $(chromium --version 2>/dev/null || echo 'chromium missing')"
