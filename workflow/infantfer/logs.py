"""Logging and progress lines shared by the stages.

Nothing here can change a result: the code digests that decide what reruns
(:mod:`infantfer.code_digests`) leave this module out, so a new log format reruns nothing. Keep it
so: what a job computes with (thread limits: :mod:`infantfer.threads`) lives elsewhere."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Where a job runs: set by SLURM inside a job (SLURM_JOB_GPUS in the batch step only, not in a
# rule's job step) and by SLURM or the user for GPUs. Logged so that a log proves a job went
# through sbatch and which GPU it was given.
SCHEDULER_VARS = ("SLURM_JOB_ID", "SLURM_CPUS_PER_TASK", "SLURM_JOB_GPUS", "CUDA_VISIBLE_DEVICES")


def setup_logging(log_file: str | Path | None = None, level: int = logging.INFO) -> logging.Logger:
    """Send the package's log lines to ``log_file`` (Snakemake's ``log:``) and to stderr."""
    root = logging.getLogger("infantfer")
    root.setLevel(level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, mode="w"))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT, "%H:%M:%S"))
        root.addHandler(handler)
    logging.captureWarnings(True)
    logging.getLogger("py.warnings").handlers = handlers
    if log_file:
        _log_uncaught_errors(root)
    scheduler = [f"{var}={os.environ[var]}" for var in SCHEDULER_VARS if var in os.environ]
    if scheduler:
        root.info("job environment: %s", " ".join(scheduler))
    return root


def _log_uncaught_errors(root: logging.Logger) -> None:
    """A job that dies writes why into its own log: Snakemake says "check log file(s) for error
    details" and points at that file, which would otherwise be empty (the traceback goes to
    stderr only). A full disk, a used-up quota, a read-only file system or a vanished file is
    said in words, with the file and the fix, last on stderr too (:func:`infantfer.errors.file_error_message`)."""
    from .errors import file_error_message

    previous = sys.excepthook

    def log_then_raise(kind, error, tb):
        if not issubclass(kind, KeyboardInterrupt):
            plain = file_error_message(error)
            file_handlers = [h for h in root.handlers if isinstance(h, logging.FileHandler)]
            record = root.makeRecord(root.name, logging.ERROR, "(job)", 0, "job failed: %s",
                                     (plain or f"{kind.__name__}: {error}",), (kind, error, tb))
            for handler in file_handlers:  # stderr gets the traceback from the default hook below
                handler.handle(record)
            previous(kind, error, tb)
            if plain:
                print(f"job failed: {plain}", file=sys.stderr)
            return
        previous(kind, error, tb)

    sys.excepthook = log_then_raise


class Progress:
    """Logs "what: done/total (pct), rate/s, ETA" about every ``every_s`` seconds and at the end."""

    def __init__(self, total: int, what: str, logger: logging.Logger, unit: str = "items", every_s: float = 5.0):
        self.total, self.what, self.logger, self.unit, self.every_s = total, what, logger, unit, every_s
        self.done = 0
        self.start = self.last = time.perf_counter()

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.perf_counter()
        if now - self.last >= self.every_s or self.done >= self.total:
            self.last = now
            self.logger.info(self.line(now))

    def line(self, now: float | None = None) -> str:
        elapsed = (now or time.perf_counter()) - self.start
        rate = self.done / elapsed if elapsed > 0 else float("inf")
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        pct = 100.0 * self.done / self.total if self.total else 100.0
        return (
            f"{self.what}: {self.done}/{self.total} {self.unit} ({pct:.1f}%), "
            f"{rate:.1f} {self.unit}/s, ETA {left:.1f} s"
        )
