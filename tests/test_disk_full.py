"""A full disk, a used-up quota, a read-only file system, a vanished file (issue O): every job says
which file, what happened and what to do, in words, and loses nothing it finished. On a real
300 KB tmpfs where root may mount one (CI), by a patched writer everywhere."""
from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from infantfer.errors import file_error_message
from infantfer.io.atomic import atomic_path


@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "no space left on the device"),
                                         (errno.EDQUOT, "your disk quota is used up"),
                                         (errno.EROFS, "the file system is read-only"),
                                         (errno.ENOENT, "no such file or folder: it was deleted or moved")])
def test_a_file_error_is_said_in_words_with_its_file_and_a_fix(tmp_path, code, words):
    message = file_error_message(OSError(code, os.strerror(code), str(tmp_path / "results" / "x.tsv")))
    assert message.startswith(f"{tmp_path / 'results' / 'x.tsv'}: {words}") and "\n  Fix: " in message
    if code in (errno.ENOSPC, errno.EDQUOT):
        assert "(free: " in message and " MiB)" in message  # measured on the nearest folder that exists
    assert file_error_message(ValueError("x")) is None and file_error_message(OSError(errno.EPERM, "no")) is None


def test_a_failed_write_names_the_file_it_was_writing_and_leaves_nothing(tmp_path):
    """A write that fails for want of room raises an OSError without a file name: atomic_path adds
    the result's, and removes its temporary file."""
    target = tmp_path / "results" / "table.tsv"

    with pytest.raises(OSError) as err, atomic_path(target) as tmp:
        tmp.write_text("the first rows")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # what a write on a full disk raises
    assert err.value.errno == errno.ENOSPC and err.value.filename == str(target)
    assert list(target.parent.iterdir()) == []  # no temporary file, no half result


JOB = textwrap.dedent("""
    import sys
    from infantfer.logs import setup_logging
    from infantfer.io.atomic import write_text
    setup_logging(sys.argv[1])
    write_text(sys.argv[2], "x" * 2_000_000)
""")


def _small_filesystem(where: Path, size: str = "300k") -> bool:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    return done.returncode == 0


@pytest.fixture
def full_disk(tmp_path):
    """A 300 KB file system (tmpfs) where root may mount one, else skip."""
    mount = tmp_path / "small"
    if not _small_filesystem(mount):
        pytest.skip("no tmpfs can be mounted here (needs root and CAP_SYS_ADMIN): the patched-writer tests cover it")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_job_on_a_full_disk_says_so_last_and_in_its_log(full_disk, tmp_path):
    log = tmp_path / "job.log"
    out = full_disk / "results" / "big.txt"
    done = subprocess.run([sys.executable, "-c", JOB, str(log), str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()
    assert last[-2].startswith(f"job failed: {out}: no space left on the device (free: "), done.stderr[-2000:]
    assert last[-1].startswith("  Fix: free space there")
    assert f"job failed: {out}: no space left on the device" in log.read_text()
    assert not out.exists() and not any(full_disk.rglob(".big.txt.*"))  # nothing half-written


def test_a_gan_on_a_full_disk_names_its_checkpoint_and_resumes_once_there_is_room(full_disk, tmp_path):
    """torch's zip writer on a full disk said "unexpected pos ...": checkpoints are serialised in
    memory first, so the OSError names the file; nothing partial stays, and the rerun with room
    resumes from the last checkpoint that was written."""
    import infantfer.cgan as cgan

    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (24, 16, 16), dtype=np.uint8), np.arange(24) % 3
    cfg = cgan.CGANConfig(size=16, steps=40, checkpoint_every=10, batch_size=8, g_width=16, d_width=16, z_dim=8)
    ckdir = full_disk / "ck"
    with pytest.raises(OSError) as err:
        cgan.train_cgan(x, y, 3, cfg, ckdir, threads=1)
    assert err.value.errno == errno.ENOSPC and Path(err.value.filename).parent == ckdir
    assert "step_" in Path(err.value.filename).name
    written = sorted(p.name for p in ckdir.glob("step_*.pt"))
    assert not list(ckdir.glob(".*tmp")), "a partial checkpoint stayed"
    for name in written:
        cgan.load_checkpoint(ckdir / name)  # every checkpoint there is whole
    roomy = tmp_path / "roomy"
    subprocess.run(["cp", "-a", str(ckdir), str(roomy)], check=True)  # space freed: the run moved to a larger disk
    resumed = cgan.train_cgan(x, y, 3, cfg, roomy, threads=1)
    assert resumed[-1].name == "step_000040.pt"
    assert [p.name for p in resumed][: len(written)] == written
