"""infantfer.io: results are written whole or not at all, and readable by whom the umask allows."""
from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from infantfer.io.atomic import atomic_path, write_text
from infantfer.io.npz import write_npz


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_written_files_get_the_mode_the_umask_allows(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        write_text(tmp_path / "answer.html", "<p>hi</p>")
        write_npz(tmp_path / "faces.npz", {"x": np.zeros((2, 4, 4), np.uint8)})
    finally:
        os.umask(old)
    for name in ("answer.html", "faces.npz"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name


def test_a_failed_write_leaves_neither_the_file_nor_its_temporary(tmp_path):
    target = tmp_path / "metrics.tsv"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half a table")
        raise RuntimeError("killed mid-write")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_replaced_only_on_success(tmp_path):
    target = tmp_path / "metrics.tsv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("new")
        raise RuntimeError
    assert target.read_text() == "old"
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"


@pytest.mark.parametrize("name, rule", [("results/d/faces.npz", "faces"), ("results/d/resampled/smoteenn/r0_f0.npz", "resample"),
                                        ("results/d/cgan/r0_f0_original/train.npz", "augment")])
def test_a_damaged_npz_is_named_with_the_rule_that_re_creates_it(tmp_path, name, rule):
    from infantfer.io.npz import DamagedFile, read_npz

    path = tmp_path / name
    write_npz(path, {"x": np.arange(10_000, dtype=np.uint16)})
    path.write_bytes(path.read_bytes()[:-200])  # cut short
    with pytest.raises(DamagedFile) as err:
        read_npz(path)
    text = str(err.value)
    assert text.startswith(f"{path} cannot be read (BadZipFile")
    assert f"Fix: delete it and run snakemake again (rule {rule} writes it)" in text


def test_a_missing_npz_is_not_called_damaged(tmp_path):
    from infantfer.io.npz import read_npz

    with pytest.raises(FileNotFoundError):
        read_npz(tmp_path / "faces.npz")
