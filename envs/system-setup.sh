#!/usr/bin/env bash
# System packages some tests use, installed with apt (one `apt-get update`) when run as root:
#   chromium          opens the Snakemake report headless (tests/test_report.py)
#   slurm-wlm munge   a one-node SLURM with a fake GPU (tests/test_slurm.py), configured by
#                     envs/slurm-single-node.sh --configure (the test starts and stops the daemons)
# Without root or apt the tests that need them skip and say why; nothing else depends on this.
#   sudo bash envs/system-setup.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
packages=(chromium slurm-wlm munge)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "[system-setup] already installed: ${packages[*]}"
elif [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "[system-setup] skipped (needs root and apt): ${missing[*]}; the tests that need them will skip"
    exit 0
else
    echo "[system-setup] apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
    echo "[system-setup] done: $(chromium --version 2>/dev/null || echo 'chromium missing')"
fi
bash envs/slurm-single-node.sh --configure
