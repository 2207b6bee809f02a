"""No label, dataset name or file name makes the workflow read or write outside its places.

Every Python process of a `snakemake` run (snakemake itself and each job's script, which snakemake
starts as a separate interpreter) loads a ``sitecustomize.py`` from a folder put first on
PYTHONPATH. It installs a ``sys.addaudithook`` hook that records, per process, every file opened
for writing (and every rename, removal, mkdir, chmod, ... of a path) and every image file opened for
reading (tests/audit_hook.py). The shared tiny run of tests/conftest.py runs so; beside its two tiny
datasets it holds x-1_, with hostile class-folder and file names and a dataset name at the edge of
what the schema allows. The test then checks:

* every write lies under the run's ``results/``, ``logs/`` or ``.snakemake/``, or in one of the
  narrow places of :func:`allowed_write_places`, each with why: the run's own TMPDIR (not the
  whole of /tmp, which holds the run directory), Python's bytecode caches, the null device,
  snakemake's runtime source cache, matplotlib's config and font-cache folders and torch's inductor cache folder (mkdir only);
* every image read lies under the run's ``data/`` or ``folders/`` (the datasets' folders) or
  ``results/`` (the workflow's own PNGs);
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
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from audit_hook import Event, audit_env, read_events
from conftest import HOSTILE, HOSTILE_FILES, HOSTILE_LABELS, NOISE_LABELS, REPO, local_run_env, write_image

pytestmark = pytest.mark.e2e

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
    """Every write outside the allowed places and every image read outside the datasets' folders
    (data/, folders/) and results/, one line each: kind, event, path, mode, flags and the process's
    command line."""
    places = allowed_write_places(run, temp, site)
    readable = [run.resolve() / "data", run.resolve() / "folders", run.resolve() / "results"]
    found = []
    for e in events:
        if e.kind == "hook-error":
            found.append(f"hook error: {e.event} {e.path} {e.mode} by pid {e.pid} {e.argv}")
        elif e.kind == "write" and allowance(e, places) is None:
            found.append(f"write outside: {e.event} {e.path} mode={e.mode} flags={e.flags} by pid {e.pid} {e.argv}")
        elif e.kind == "read" and not any(Path(e.path).is_relative_to(p) for p in readable):
            found.append(f"image read outside: {e.event} {e.path} mode={e.mode} by pid {e.pid} {e.argv}")
    return found


# ------------------------------------------------------------------------------ the audited run


@pytest.fixture(scope="module")
def audited_run(shared_tiny_run):
    """The shared tiny run (tests/conftest.py), made with every Python process audited: its events
    (the audit's own folder, which no later test touches). The tests that read the run directory
    take tiny_run too, so that no test changes it meanwhile."""
    events, processes = read_events(shared_tiny_run.base / "audit")
    return {"run": shared_tiny_run.path, "events": events, "processes": processes, "shared": shared_tiny_run,
            "seconds": shared_tiny_run.seconds, "cpu": shared_tiny_run.cpu,
            "temp": shared_tiny_run.base / "temp", "site": shared_tiny_run.base / "site"}


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
    """Every job of the run ran with the hook, the jobs' writes were seen, and x-1_'s ingest and
    faces jobs opened exactly the images its folder lists."""
    events, run = audited_run["events"], audited_run["run"].resolve()
    kinds = {pid: process_kind(argv) for pid, (_, argv) in audited_run["processes"].items()}
    started = [kinds[pid] for pid, (how, _) in audited_run["processes"].items() if how == "start"]
    assert started.count("snakemake") == 1
    # one audited interpreter per job that snakemake ran: every job's script ran with the hook
    log = audited_run["shared"].log  # the run's own log (later runs in the folder add theirs)
    rules = [r for r in re.findall(r"Finished jobid: \d+ \(Rule: (\w+)\)", log) if r != "all"]
    jobs = [k for k in started if k.endswith(".py")]
    assert len(jobs) == len(rules) and len(rules) >= 20, (sorted(jobs), sorted(rules))
    assert {"ingest.py", "faces.py", "split.py", "cgan_train.py", "gate.py", "augment.py", "evaluate_fold.py",
            "balanced_set.py", "figures.py", "tables.py", "answer.py"} <= set(jobs), jobs
    job_writes = [e for e in events if e.kind == "write" and kinds.get(e.pid, "").endswith(".py")
                  and Path(e.path).is_relative_to(run / "results")]
    assert {"ingest.py", "faces.py", "balanced_set.py", "evaluate_fold.py"} <= {kinds[e.pid] for e in job_writes}
    assert any(kinds[e.pid] == "balanced_set.py" and e.path.endswith(".png") for e in job_writes)
    # x-1_'s ingest and faces jobs open every image the ingest lists, and nothing the ingest skips
    # (each dataset's job is a process of its own: the one that opens images under data/)
    data = run / "data"
    listed = {p.resolve() for p in data.rglob("*") if p.is_file()
              and not any(part.startswith(".") for part in p.relative_to(data).parts)}
    assert len(listed) == 32
    for job in ("ingest.py", "faces.py"):
        reads: dict[int, set[Path]] = {}
        for e in events:
            if e.kind == "read" and kinds.get(e.pid) == job:
                reads.setdefault(e.pid, set()).add(Path(e.path))
        hostile = [read for read in reads.values() if any(path.is_relative_to(data) for path in read)]
        assert len(hostile) == 1, (job, len(hostile))
        assert hostile[0] == listed, (job, sorted(map(str, hostile[0] ^ listed))[:5])


def test_balanced_set_folders_are_the_labels_file_name_parts(audited_run, tiny_run):
    from infantfer.io.filenames import path_part

    run = audited_run["run"]
    labels = {*HOSTILE_LABELS.values(), *NOISE_LABELS}
    balanced = run / "results" / HOSTILE / "balanced"
    manifest = pd.read_csv(balanced / "manifest.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert set(manifest["label"]) == labels  # verbatim, every class
    folders = {p.name for p in balanced.iterdir() if p.is_dir()}
    assert folders == {path_part(label) for label in labels}, folders
    for row in manifest.itertuples():
        assert Path(row.file).parts[0] == path_part(row.label) and (balanced / row.file).is_file()
    ingested = pd.read_csv(run / "results" / HOSTILE / "manifest.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert set(ingested["label"]) == labels  # .hidden is no class
    assert set(HOSTILE_FILES) - {"..dots.png"} <= {Path(s).name for s in ingested["source"]}


def test_the_run_directory_holds_only_its_places(audited_run, tiny_run):
    """What no hook sees (a shell, C code that opens files itself): the datasets' folders are as they
    were, the run directory held nothing new but results/, logs/ and .snakemake/ when the run ended,
    and `$(touch pwned)` ran nowhere."""
    run, shared = audited_run["run"], audited_run["shared"]
    assert shared.datasets_after == shared.datasets_before
    assert set(shared.listing) == {"config", "data", "folders", "tiny.yaml", "results", "logs", ".snakemake"}
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
    env, logs = audit_env(tmp_path, local_run_env())
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
