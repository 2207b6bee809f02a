"""The paths audit's hook (tests/test_paths_audit.py): a ``sitecustomize.py`` that records, in every
Python process started with it first on PYTHONPATH, each file opened for writing (and each rename,
removal, mkdir, chmod, ... of a path) and each image file opened for reading. The shared tiny run of
tests/conftest.py runs under it; the audit reads the records back with :func:`read_events`.
"""
from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from pathlib import Path

AUDIT_ENV = "INFANTFER_PATHS_AUDIT"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp")

# The hook. It runs in every Python process started with the test's PYTHONPATH: one log file per
# process (opened once, before the hook is installed, so its own writes are plain os.write calls on
# a descriptor and never raise an `open` event); a per-thread flag stops re-entry; the event name
# is tested first, so the thousands of other audit events cost one set lookup each. Each line is
# the repr of a tuple, read back with ast.literal_eval: any byte a hostile file name holds survives.
SITECUSTOMIZE = r'''
import os
import sys


def _install_paths_audit():
    folder = os.environ.get("%(env)s")
    if not folder:
        return
    import time

    fd = os.open(os.path.join(folder, "%%d-%%d.log" %% (os.getpid(), time.monotonic_ns())),
                 os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    write, getpid, getcwd, fspath, fsdecode = os.write, os.getpid, os.getcwd, os.fspath, os.fsdecode
    isabs, join, realpath, readlink = os.path.isabs, os.path.join, os.path.realpath, os.readlink
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    images = %(images)r
    # events that change a path: the positions of the paths they change, and of their dir_fd
    changes = {"os.rename": ((0, 1), (2, 3)), "os.remove": ((0,), (1,)), "os.rmdir": ((0,), (1,)),
               "os.mkdir": ((0,), (2,)), "os.symlink": ((1,), (2,)), "os.link": ((1,), (3,)),
               "os.truncate": ((0,), ()), "os.chmod": ((0,), (2,)), "os.chown": ((0,), (3,)),
               "os.utime": ((0,), (3,)), "os.mkfifo": ((0,), (2,)), "os.mknod": ((0,), (3,)),
               "shutil.rmtree": ((0,), (1,)), "shutil.copyfile": ((1,), ()), "shutil.copytree": ((1,), ()),
               "shutil.move": ((0, 1), ())}
    from _thread import get_ident

    busy = set()  # the threads inside the hook: their own calls do not re-enter it (the main
    # snakemake process runs its jobs from threads, so one flag for all would skip other threads' events)

    def line(*fields):
        write(fd, (repr((getpid(),) + fields) + "\n").encode("utf-8", "backslashreplace"))

    def where(path, dir_fd=None):
        path = fsdecode(fspath(path))
        if not isabs(path):
            base = getcwd() if dir_fd is None or dir_fd < 0 else readlink("/proc/self/fd/%%d" %% dir_fd)
            path = join(base, path)
        return realpath(path)

    def hook(event, args):
        if event != "open" and event not in changes:
            return
        me = get_ident()
        if me in busy:
            return
        busy.add(me)
        try:
            if event == "open":
                path, mode, flags = args
                if isinstance(path, int):
                    return  # an open descriptor: its path was checked when it was opened
                if mode is not None:
                    write_ = any(c in mode for c in "wax+")
                else:
                    write_ = bool((flags or 0) & writing)
                if write_:
                    line("write", event, where(path), mode, flags)
                else:
                    text = fsdecode(fspath(path))
                    if text.lower().endswith(images):
                        line("read", event, where(path), mode, flags)
                return
            paths, fds = changes[event]
            dir_fd = next((args[i] for i in fds if i < len(args) and isinstance(args[i], int)), None)
            for i in paths:
                if i < len(args) and args[i] is not None and not isinstance(args[i], int):
                    line("write", event, where(args[i], dir_fd), None, None)
        except Exception as exc:  # a path the hook cannot read: recorded, never raised into the program
            line("hook-error", event, repr(args)[:500], repr(exc)[:200], None)
        finally:
            busy.discard(me)

    def header(how):
        line("process", how, getcwd(), repr(getattr(sys, "orig_argv", sys.argv)), os.getppid())

    header("start")
    def forked():
        busy.clear()
        header("fork")

    os.register_at_fork(after_in_child=forked)
    sys.addaudithook(hook)


_install_paths_audit()
del _install_paths_audit
''' % {"env": AUDIT_ENV, "images": IMAGE_SUFFIXES}


@dataclass
class Event:
    pid: int
    kind: str  # write, read, hook-error
    event: str
    path: str
    mode: object
    flags: object
    argv: str  # the process's command line (orig_argv), for the report


def audit_env(tmp: Path, base_env: dict[str, str]) -> tuple[dict[str, str], Path]:
    """The environment of an audited process: the sitecustomize first on PYTHONPATH, a log folder,
    and a temporary folder of its own (TMPDIR), so that the allowance for temporary files is that
    folder, not the whole of /tmp, which holds the run directory too."""
    site, logs, temp = tmp / "site", tmp / "audit", tmp / "temp"
    for folder in (site, logs, temp):
        folder.mkdir(parents=True, exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = dict(base_env)
    env["PYTHONPATH"] = os.pathsep.join([str(site), *filter(None, [env.get("PYTHONPATH")])])
    env[AUDIT_ENV] = str(logs)
    env["TMPDIR"] = str(temp)
    return env, logs


def read_events(logs: Path) -> tuple[list[Event], dict[int, tuple[str, str]]]:
    """Every recorded event, and each process's (start or fork, command line)."""
    raw, processes = [], {}
    for file in sorted(logs.glob("*.log")):
        for text in file.read_text(encoding="utf-8").splitlines():
            pid, kind, event, path, mode, flags = ast.literal_eval(text)
            if kind == "process":
                processes[pid] = (event, mode)
            else:
                raw.append((pid, kind, event, path, mode, flags))
    return [Event(*r, argv=processes.get(r[0], ("", "?"))[1]) for r in raw], processes
