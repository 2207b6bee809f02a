#!/usr/bin/env bash
# Snakemake (--sdm conda) runs this once, inside the new env of envs/core.yaml, right after creating it.
# It installs this checkout's infantfer package, editable and without its dependencies: core.yaml
# lists what the rules need, and the package's own list would pull torch from PyPI.
# Snakemake copies this file to <conda prefix>/<hash>.post-deploy.sh and runs it from its working
# directory, so the checkout is found from there ($PWD), not from "$0"; INFANTFER_SRC overrides.
set -euo pipefail
src="${INFANTFER_SRC:-$PWD}"
if [ ! -f "$src/pyproject.toml" ] || [ ! -f "$src/workflow/infantfer/__init__.py" ]; then
    echo "[core.post-deploy] no infantfer checkout at $src: run snakemake from the repository's root, or set INFANTFER_SRC to it" >&2
    exit 1
fi
python -m pip install --disable-pip-version-check --no-input --no-deps -e "$src"
python -c "import infantfer; print('[core.post-deploy] infantfer', infantfer.__version__, 'from', infantfer.__file__)"
