"""No label, dataset name or file name makes the workflow read or write outside its places.

Every Python process of a `snakemake` run (snakemake itself and each job's script, which snakemake
starts as a separate interpreter) loads a ``sitecustomize.py`` from a folder put first on
PYTHONPATH. It installs a ``sys.addaudithook`` hook that records, per process, every file opened
for writing (and every rename, removal, mkdir, chmod, ... of a path) and every image file opened for
reading. On a tiny dataset with hostile class-folder and file names, and a dataset name at the edge
of what the schema allows, the test then checks:

* every write lies under the run's ``results/``, ``logs/`` or ``.snakemake/``, or in one of the
  narrow places of :func:`allowed_write_places`, each with why: the run's own TMPDIR (not the
  whole of /tmp, which holds the run directory), Python's bytecode caches, the null device,
  snakemake's runtime source cache, matplotlib's config and font-cache folders and torch's inductor cache folder (mkdir only);
* every image read lies under the run's ``data/`` (the dataset) or ``results/`` (the workflow's own
  PNGs);
* the hook saw the jobs (writes under results/ from job processes, the ingest's image reads), and a
  planted violation is reported, so neither check passes vacuously;
* the balanced set's folders are the file-name parts of the labels, its manifest the labels verbatim.

What the hook cannot see: writes by non-Python programs and by C code that opens files itself
(e.g. ``cv2.imwrite``); the run-directory walk of :func:`test_the_run_directory_holds_only_its_places`
covers the run directory for those.
"""
from __future__ import annotations

import ast
import os
import re
import resource
import shutil
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import REPO, local_run_env, write_image
from test_workflow import TINY_GAN, workdir_with_defaults

pytestmark = pytest.mark.e2e

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


def audit_env(tmp: Path) -> tuple[dict[str, str], Path]:
    """The environment of an audited process: the sitecustomize first on PYTHONPATH, a log folder,
    and a temporary folder of its own (TMPDIR), so that the allowance for temporary files is that
    folder, not the whole of /tmp, which holds the run directory too."""
    site, logs, temp = tmp / "site", tmp / "audit", tmp / "temp"
    for folder in (site, logs, temp):
        folder.mkdir(parents=True, exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = dict(local_run_env())
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


@dataclass(frozen=True)
class Place:
    """A place a run may write to, and why. ``subtree``: the path and everything under it, else the
    path itself; ``events``: only these audit events (empty: any); ``names``: only files directly in
    the path whose names match this pattern."""

    name: str
    path: Path
    why: str
    subtree: bool = True
    events: tuple[str, ...] = ()
    names: str | None = None
    pycache: bool = False  # only <folder>/__pycache__/<module>.<tag>.pyc[.<id>] under the path

    def allows(self, e: Event) -> bool:
        path = Path(e.path)
        if self.events and e.event not in self.events:
            return False
        if self.pycache:
            return (path.is_relative_to(self.path) and path.parent.name == "__pycache__"
                    and re.fullmatch(r"[^/]+\.pyc(\.\d+)?", path.name) is not None)
        if self.names is not None:
            return path.parent == self.path and re.fullmatch(self.names, path.name) is not None
        return path.is_relative_to(self.path) if self.subtree else path == self.path


def allowed_write_places(run: Path, temp: Path, site: Path) -> list[Place]:
    """Every place a run may write to, each with why. Paths are resolved: the run directory lies under
    /tmp (pytest's tmp_path), so no allowance is a prefix of it but its own results/, logs/ and
    .snakemake/."""
    import matplotlib
    from snakemake.common import get_appdirs

    run, temp, site = run.resolve(), temp.resolve(), site.resolve()
    places = [
        Place("results", run / "results", "the workflow's outputs"),
        Place("logs", run / "logs", "the jobs' logs"),
        Place(".snakemake", run / ".snakemake", "snakemake's state: metadata, locks, job scripts, the package's "
              "code digests (.snakemake/infantfer)"),
        Place("TMPDIR", temp, "tempfile's files of every process; the test gives the run a TMPDIR of its own, so "
              "this is not the whole of /tmp, which holds the run directory too"),
        Place("os.devnull", Path(os.devnull), "subprocess.DEVNULL, opened read-write", subtree=False),
    ]
    # Python's bytecode caches: <module folder>/__pycache__/<name>.<tag>.pyc, and the <...>.pyc.<id>
    # importlib writes first and renames, for the repository (its package; the venv lies in it here),
    # the interpreter's library, site-packages, and the test's own sitecustomize.
    paths = sysconfig.get_paths()
    trees = {REPO.resolve(), site, *(Path(paths[k]).resolve() for k in ("stdlib", "platstdlib", "purelib", "platlib"))}
    places += [Place("__pycache__", tree, "Python's bytecode cache of imported modules", pycache=True)
               for tree in sorted(trees)]
    # snakemake itself (snakemake.sourcecache.SourceCache), not the workflow, copies the workflow's
    # source files (Snakefile, rules) into a temporary runtime cache under the user's cache folder,
    # named by their paths in the repository, never by a label or dataset name; and os.makedirs of
    # that cache's folders.
    cache = Path(get_appdirs().user_cache_dir).resolve()
    source_cache = cache / "snakemake" / "source-cache"
    places.append(Place("snakemake source cache", source_cache / "snakemake-runtime-cache",
                        "snakemake's runtime copy of the workflow's source files"))
    places += [Place("snakemake source cache", folder, "os.makedirs of the source cache's folders", subtree=False,
                     events=("os.mkdir",)) for folder in [source_cache, *source_cache.parents]
               if folder.is_relative_to(cache)]
    # matplotlib: os.makedirs(exist_ok=True) of its config and cache folders at import (an attempt is an
    # event even where the folder exists), and its font cache, written where missing or outdated.
    mpl_config, mpl_cache = Path(matplotlib.get_configdir()).resolve(), Path(matplotlib.get_cachedir()).resolve()
    places += [Place("matplotlib", folder, "matplotlib's os.makedirs of its config and cache folders", subtree=False,
                     events=("os.mkdir",)) for folder in (mpl_config, mpl_cache)]
    places.append(Place("matplotlib", mpl_cache, "matplotlib's font cache",
                        names=r"fontlist-v[\w.]+\.json(\.matplotlib-lock)?"))
    # torch: os.makedirs(exist_ok=True) of its inductor cache folder, <temp>/torchinductor_<user>, when a
    # GAN job imports it; seen under the system's temp folder where a job's TMPDIR was not in effect. The
    # folder only: torch writes nothing there (the GAN is not compiled), and a file would be reported.
    import getpass
    import tempfile

    places += [Place("torch", folder / f"torchinductor_{getpass.getuser()}", "torch's os.makedirs of its "
                     "inductor cache folder", subtree=False, events=("os.mkdir",))
               for folder in {Path(tempfile.gettempdir()).resolve(), Path("/tmp").resolve(), temp}]
    return places


def allowance(e: Event, places: list[Place]) -> str | None:
    """The name of the place that allows a write, or None."""
    return next((place.name for place in places if place.allows(e)), None)


def violations(events: list[Event], run: Path, temp: Path, site: Path) -> list[str]:
    """Every write outside the allowed places and every image read outside data/ and results/,
    one line each: kind, event, path, mode, flags and the process's command line."""
    places = allowed_write_places(run, temp, site)
    readable = [run.resolve() / "data", run.resolve() / "results"]
    found = []
    for e in events:
        if e.kind == "hook-error":
            found.append(f"hook error: {e.event} {e.path} {e.mode} by pid {e.pid} {e.argv}")
        elif e.kind == "write" and allowance(e, places) is None:
            found.append(f"write outside: {e.event} {e.path} mode={e.mode} flags={e.flags} by pid {e.pid} {e.argv}")
        elif e.kind == "read" and not any(Path(e.path).is_relative_to(p) for p in readable):
            found.append(f"image read outside: {e.event} {e.path} mode={e.mode} by pid {e.pid} {e.argv}")
    return found


# ------------------------------------------------------------------------------ the hostile run

DATASET = "x-1_"  # the schema's edge: letters, digits, '-' and '_'
LABELS = {  # demo class -> the hostile class-folder name it becomes (all accepted by the ingest)
    "cry": "crying baby",
    "laugh": "\u00dcberraschung",  # Überraschung, NFC
    "neutral": "-- rm -rf",
}
NOISE_LABELS = ["x..y", "a:b $(touch pwned)"]  # random-noise classes beside the demo's
HOSTILE_FILES = ["bébé 01 (copie).png", "--help.png", "a;b&c`id`.png", "x y.PNG", "..dots.png"]


def write_hostile_dataset(root: Path) -> None:
    from infantfer.demo import write_demo

    staging = root.parent / "staging"
    write_demo(staging, counts={"cry": 8, "laugh": 7, "neutral": 6}, size=32, seed=5)
    root.mkdir(parents=True)
    for demo, label in LABELS.items():
        shutil.move(staging / demo, root / label)
    staging.rmdir()
    for n, label in enumerate(NOISE_LABELS):
        for i in range(6):
            write_image(root / label / f"{i}.png", seed=1000 + 10 * n + i, size=32)
    for label, name in zip([*LABELS.values(), *NOISE_LABELS], HOSTILE_FILES):
        first = sorted((root / label).glob("*.png"))[0]
        first.rename(root / label / name)  # '..dots.png' starts with a dot: the ingest skips it
    write_image(root / ".hidden" / "0.png", seed=7, size=32)  # a dot folder: skipped by the ingest


def hostile_config() -> dict:
    return {
        "datasets": {DATASET: {"layout": "folders", "path": "data"}},
        "arms": {"original": {}, "cgan": {"gan": True}},
        "balanced": {"arm": "cgan"},
        "faces": {"detector": "none", "size": 16},
        "split": {"folds": 2, "repeats": 1, "seed": 0},
        "evaluate": {"n_estimators": 3},
        "cgan": {**TINY_GAN, "steps": 10, "checkpoint_every": 5},
        "gate": {"n_draws": 3},
    }


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def audited_run(tmp_path_factory):
    """The default DAG of the hostile config, every Python process audited."""
    tmp = tmp_path_factory.mktemp("audit")
    run = workdir_with_defaults(tmp / "run")
    write_hostile_dataset(run / "data")
    (run / "hostile.yaml").write_text(yaml.safe_dump(hostile_config(), sort_keys=False, allow_unicode=True))
    env, logs = audit_env(tmp)
    data_before = snapshot(run / "data")
    # the whole default DAG: ingest, faces, split, GANs, gates, augment, evaluation, the balanced
    # set, and the report stage (statistics, tables, figures, answer, provenance); about a minute on 2 cores
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--cores", "2",
           "--configfile", "hostile.yaml"]
    start, cpu = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=1500, cwd=run, env=env)
    seconds, after = time.monotonic() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
    events, processes = read_events(logs)
    return {"tmp": tmp, "run": run, "events": events, "processes": processes, "seconds": seconds, "cpu": cpu_seconds,
            "temp": tmp / "temp", "site": tmp / "site", "data_before": data_before}


def process_kind(argv: str) -> str:
    """'snakemake' for snakemake's processes, the rule script's name for a job (snakemake runs
    `python .snakemake/scripts/tmpXXXX.<script>.py`), else the command line."""
    words = ast.literal_eval(argv) if argv.startswith("[") else [argv]
    for word in words[1:]:
        if word.endswith(".py") and "/.snakemake/scripts/" in word:
            return Path(word).name.split(".", 1)[1]
    if words[1:3] == ["-m", "snakemake"]:
        return "snakemake"
    return " ".join(words)


def summary(events: list[Event], places: list[Place]) -> str:
    """Writes and image reads per process kind, and writes per allowance."""
    table = pd.DataFrame([{"process": process_kind(e.argv), "pid": e.pid, "event": e.kind,
                           "place": allowance(e, places) if e.kind == "write" else ""} for e in events])
    per_kind = table.groupby(["process", "event"]).agg(n=("pid", "size"), processes=("pid", "nunique"))
    per_place = table[table.event == "write"].groupby("place", dropna=False).size()
    allowlist = "\n".join(f"  {p.name}: {p.path}{' (' + ', '.join(p.events) + ' only)' if p.events else ''}"
                          f"{' /' + p.names if p.names else ''} -- {p.why}" for p in places)
    return (f"{per_kind.unstack(fill_value=0).to_string()}\n\nwrites per allowance:\n{per_place.to_string()}"
            f"\n\nallowed write places:\n{allowlist}")


def test_no_write_or_image_read_outside_the_run_s_places(audited_run):
    events, run = audited_run["events"], audited_run["run"]
    places = allowed_write_places(run, audited_run["temp"], audited_run["site"])
    print(f"\nsnakemake run: {audited_run['seconds']:.1f} s ({audited_run['cpu']:.1f} s CPU), "
          f"{len(audited_run['processes'])} processes audited")
    print(summary(events, places))
    found = violations(events, run, audited_run["temp"], audited_run["site"])
    assert not found, f"{len(found)} violation(s):\n" + "\n".join(found[:40])


def test_the_hook_saw_snakemake_and_its_jobs(audited_run):
    events, run = audited_run["events"], audited_run["run"].resolve()
    kinds = {pid: process_kind(argv) for pid, (_, argv) in audited_run["processes"].items()}
    started = [kinds[pid] for pid, (how, _) in audited_run["processes"].items() if how == "start"]
    assert started.count("snakemake") == 1
    # one audited interpreter per job that snakemake ran: every job's script ran with the hook
    log = next((run / ".snakemake" / "log").glob("*.snakemake.log")).read_text()
    rules = [r for r in re.findall(r"Finished jobid: \d+ \(Rule: (\w+)\)", log) if r != "all"]
    jobs = [k for k in started if k.endswith(".py")]
    assert len(jobs) == len(rules) and len(rules) >= 20, (sorted(jobs), sorted(rules))
    assert {"ingest.py", "faces.py", "split.py", "cgan_train.py", "gate.py", "augment.py", "evaluate_fold.py",
            "balanced_set.py", "figures.py", "tables.py", "answer.py"} <= set(jobs), jobs
    job_writes = [e for e in events if e.kind == "write" and kinds.get(e.pid, "").endswith(".py")
                  and Path(e.path).is_relative_to(run / "results")]
    assert {"ingest.py", "faces.py", "balanced_set.py", "evaluate_fold.py"} <= {kinds[e.pid] for e in job_writes}
    assert any(kinds[e.pid] == "balanced_set.py" and e.path.endswith(".png") for e in job_writes)
    # the ingest and the faces job open every image the ingest lists, and nothing the ingest skips
    data = run / "data"
    listed = {p.resolve() for p in data.rglob("*") if p.is_file()
              and not any(part.startswith(".") for part in p.relative_to(data).parts)}
    assert len(listed) == 32
    for job in ("ingest.py", "faces.py"):
        read = {Path(e.path) for e in events if e.kind == "read" and kinds.get(e.pid) == job}
        assert read == listed, (job, sorted(map(str, read ^ listed))[:5])


def test_balanced_set_folders_are_the_labels_file_name_parts(audited_run):
    from infantfer.io import path_part

    run = audited_run["run"]
    labels = {*LABELS.values(), *NOISE_LABELS}
    balanced = run / "results" / DATASET / "balanced"
    manifest = pd.read_csv(balanced / "manifest.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert set(manifest["label"]) == labels  # verbatim, every class
    folders = {p.name for p in balanced.iterdir() if p.is_dir()}
    assert folders == {path_part(label) for label in labels}, folders
    for row in manifest.itertuples():
        assert Path(row.file).parts[0] == path_part(row.label) and (balanced / row.file).is_file()
    ingested = pd.read_csv(run / "results" / DATASET / "manifest.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert set(ingested["label"]) == labels  # .hidden is no class
    assert set(HOSTILE_FILES) - {"..dots.png"} <= {Path(s).name for s in ingested["source"]}


def test_the_run_directory_holds_only_its_places(audited_run):
    """What no hook sees (a shell, C code that opens files itself): the dataset is as it was, the run
    directory holds nothing new but results/, logs/ and .snakemake/, and `$(touch pwned)` ran nowhere."""
    run = audited_run["run"]
    assert snapshot(run / "data") == audited_run["data_before"]
    assert {p.name for p in run.iterdir()} == {"config", "data", "hostile.yaml", "results", "logs", ".snakemake"}
    assert [p.name for p in (run / "config").iterdir()] == ["config.yaml"]
    assert not list(run.rglob("pwned")) and not (REPO / "pwned").exists()


def test_a_planted_violation_is_reported(tmp_path):
    """A process with the same sitecustomize writes outside the allowed places (open for writing,
    for appending through results/.., os.open with O_CREAT), renames a file into the run's data, and
    reads an image outside, by an absolute and a relative path, and four threads write outside at
    once: each is reported, and its writes inside results/ are not."""
    run = tmp_path / "run"
    (run / "results").mkdir(parents=True)
    (run / "data").mkdir()
    outside = tmp_path / "outside"
    write_image(outside / "face.png", seed=1)
    env, logs = audit_env(tmp_path)
    code = "\n".join([
        "import os",
        "from pathlib import Path",
        "from PIL import Image",
        f"open({str(outside / 'planted.txt')!r}, 'w').write('x')",
        "open('results/../escaped.txt', 'a').close()",
        "Path('results/fine.txt').write_text('fine')",
        "os.rename('results/fine.txt', 'data/moved.txt')",
        f"os.close(os.open({str(outside / 'by_flags.txt')!r}, os.O_WRONLY | os.O_CREAT))",
        f"Image.open({str(outside / 'face.png')!r}).load()",
        "Image.open('results/../data/../../outside/face.png').load()",
        # threads writing at once, as snakemake's own threads do: none is missed
        "import threading",
        f"work = lambda t: [open({str(outside)!r} + f'/thread_{{t}}_{{i}}.txt', 'w').close() for i in range(50)]",
        "threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]",
        "[t.start() for t in threads]; [t.join() for t in threads]",
    ])
    subprocess.run([sys.executable, "-c", code], cwd=run, env=env, check=True, timeout=120)
    events, processes = read_events(logs)
    assert [(how, process_kind(argv)) for how, argv in processes.values()] == [("start", f"{sys.executable} -c {code}")]
    assert any(e.kind == "write" and e.path == str(run.resolve() / "results" / "fine.txt") for e in events)
    found = violations(events, run, tmp_path / "temp", tmp_path / "site")
    text = "\n".join(found)
    assert f"write outside: open {outside.resolve() / 'planted.txt'} mode=w " in text
    assert f"write outside: open {run.resolve() / 'escaped.txt'} mode=a " in text
    assert f"write outside: os.rename {run.resolve() / 'data' / 'moved.txt'} " in text
    assert f"write outside: open {outside.resolve() / 'by_flags.txt'} mode=None " in text
    assert sum(f"image read outside: open {outside.resolve() / 'face.png'} " in line for line in found) == 2
    threads = [line for line in found if "/thread_" in line.split(" by pid ")[0]]
    assert len(threads) == 200 and len(found) == 6 + 200, text
