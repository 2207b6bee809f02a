"""Long jobs stop when the run that started them stops.

Ctrl-C reaches every process of the terminal's process group, the jobs included, and Python stops
at once. Two other ways of stopping a run do not reach a job:

- ``kill <snakemake>`` (SIGTERM; also what a login node's or a scheduler's time limit sends):
  Snakemake then *finishes the jobs already running* before it exits, which for a GAN can be
  hours. :func:`stop_gans_on_sigterm` (the Snakefile's ``onstart``) keeps that for the short
  jobs and, in addition, drops a stop file that the GAN jobs of this run watch.
- Snakemake killed outright (SIGKILL, an out-of-memory kill, a crash): its jobs live on as orphans.
  A job notices that its parent changed, or that the run's Snakemake is gone.

:class:`JobWatch` is the job's side: called after every training step, it returns why to stop, at
most one system call every ``every_s`` seconds. A stopped GAN keeps its checkpoints (they are
written atomically), its job fails, and the rerun resumes from the last checkpoint.
Standard library only.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

RUN_PID = "INFANTFER_RUN_PID"
RUN_HOST = "INFANTFER_RUN_HOST"
STOP_DIR = Path(".snakemake") / "infantfer" / "stop"


def stop_file(host: str, pid: int | str, workdir: str | Path = ".") -> Path:
    return Path(workdir) / STOP_DIR / f"{host}-{pid}"


def stop_gans_on_sigterm(logger=None) -> Path:
    """In Snakemake's process, after its scheduler started (``onstart``): on SIGTERM, also write this
    run's stop file, then do what Snakemake does (no new jobs; wait for the running ones). Exports
    the run's pid and host to the jobs it starts. Returns the stop file."""
    host, pid = socket.gethostname(), os.getpid()
    path = stop_file(host, pid)
    path.unlink(missing_ok=True)  # a pid reused from an earlier run
    os.environ[RUN_PID], os.environ[RUN_HOST] = str(pid), host
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum, frame):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        if logger is not None:
            logger.warning("SIGTERM: the GANs stop at their next step and keep their checkpoints (a rerun resumes "
                           "them); the other running jobs finish")
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_sigterm)
    return path


class JobWatch:
    """``watch()`` is None while the job should go on, else why it should stop: its parent process
    changed (Snakemake died and the job was adopted), the run's Snakemake (from the environment
    :func:`stop_gans_on_sigterm` sets) no longer exists on this host, or its stop file appeared.
    Checks at most every ``every_s`` seconds."""

    def __init__(self, every_s: float = 0.5, environ=None):
        environ = os.environ if environ is None else environ
        self.every_s = every_s
        self.parent = os.getppid()
        self.run_pid = int(environ[RUN_PID]) if environ.get(RUN_PID, "").isdigit() else None
        self.same_host = environ.get(RUN_HOST) == socket.gethostname()
        self.stop_file = stop_file(environ.get(RUN_HOST, ""), self.run_pid) if self.run_pid else None
        self._next = 0.0

    def __call__(self) -> str | None:
        now = time.monotonic()
        if now < self._next:
            return None
        self._next = now + self.every_s
        if os.getppid() != self.parent:
            return f"its parent process (pid {self.parent}) is gone"
        if self.run_pid and self.same_host and not _alive(self.run_pid):
            return f"the Snakemake that started it (pid {self.run_pid}) is gone"
        if self.stop_file is not None and self.stop_file.exists():
            return f"the Snakemake that started it (pid {self.run_pid}) was sent SIGTERM"
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's: a reused pid, but not ours to judge
        return True
    return True
