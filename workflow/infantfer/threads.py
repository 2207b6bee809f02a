"""The thread limits every job obeys: the number of threads can change a float sum's order, so it
belongs to what a job computes (unlike its log lines, :mod:`infantfer.logs`)."""

from __future__ import annotations

import os
import sys


def limit_threads(threads: int) -> None:
    """Make BLAS, OpenMP, OpenCV (and torch, if loaded) use ``threads`` threads, so that
    parallel Snakemake jobs do not oversubscribe the cores they were given."""
    threads = max(1, int(threads))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
    # only libraries already loaded: importing OpenCV or torch here would cost every job its time
    if "cv2" in sys.modules:
        sys.modules["cv2"].setNumThreads(threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
