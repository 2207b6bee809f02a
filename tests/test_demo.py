"""Tests for the synthetic demo dataset (infantfer.demo)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from infantfer.demo import CLASSES, DEFAULT_COUNTS, DemoSet, generate_demo, save_sample_grid, write_demo


@pytest.fixture(scope="module")
def demo0() -> DemoSet:
    return generate_demo(seed=0)


def test_default_counts_shapes_dtypes(demo0):
    n = sum(DEFAULT_COUNTS.values())
    assert DEFAULT_COUNTS == {"cry": 150, "laugh": 60, "neutral": 20}
    assert demo0.images.shape == (n, 64, 64, 3)
    assert demo0.images.dtype == np.uint8
    for arr in (demo0.labels, demo0.groups, demo0.ids):
        assert arr.shape == (n,)
        assert arr.dtype.kind == "U"
    labels, k = np.unique(demo0.labels, return_counts=True)
    assert dict(zip(labels.tolist(), k.tolist())) == DEFAULT_COUNTS
    assert demo0.ids[0] == "demo_0000" and demo0.ids[-1] == f"demo_{n - 1:04d}"
    assert len(set(demo0.ids.tolist())) == n
    assert all(g.startswith("baby") for g in demo0.groups)
    # pixels actually vary (not blank frames)
    assert demo0.images.reshape(n, -1).std(axis=1).min() > 5


def test_custom_counts_and_size():
    d = generate_demo(counts={"cry": 7, "neutral": 4}, size=32, seed=3)
    assert d.images.shape == (11, 32, 32, 3)
    assert sorted(d.labels.tolist()) == ["cry"] * 7 + ["neutral"] * 4
    assert len(generate_demo(counts={"cry": 0, "laugh": 0, "neutral": 0}).labels) == 0
    with pytest.raises(ValueError):
        generate_demo(counts={"angry": 3})


def test_deterministic_per_seed(demo0):
    again = generate_demo(seed=0)
    assert again.images.tobytes() == demo0.images.tobytes()
    assert (again.labels == demo0.labels).all() and (again.groups == demo0.groups).all()
    assert (again.ids == demo0.ids).all()
    other = generate_demo(seed=1)
    assert other.images.shape == demo0.images.shape
    assert other.images.tobytes() != demo0.images.tobytes()


def test_several_images_per_baby(demo0):
    groups, per = np.unique(demo0.groups, return_counts=True)
    assert 10 <= len(groups) < len(demo0.labels)
    # (3, 8) per baby; only the last baby may be cut short when the counts run out
    assert (per <= 8).all()
    assert (per < 3).sum() <= 1
    assert per.mean() >= 3
    # most images of a baby share its main class, but some babies show more than one class
    main = sum(np.unique(demo0.labels[demo0.groups == g], return_counts=True)[1].max() for g in groups)
    assert main / len(demo0.labels) >= 0.7
    assert sum(len(set(demo0.labels[demo0.groups == g])) > 1 for g in groups) >= 1


def test_classes_spread_over_babies(demo0):
    # every class is drawn from several identities, so a grouped 3-fold split can stratify
    for c in CLASSES:
        assert len(set(demo0.groups[demo0.labels == c].tolist())) >= 3


def test_write_demo_roundtrip(tmp_path, demo0):
    df = write_demo(tmp_path, seed=0)
    assert list(df.columns) == ["file", "label", "group"]
    assert len(df) == len(demo0.labels)
    assert (df["label"].to_numpy() == demo0.labels).all()
    assert (df["group"].to_numpy() == demo0.groups).all()
    for i in (0, 1, len(df) // 2, len(df) - 1):
        rel = df["file"].iloc[i]
        assert "\\" not in rel and rel == f"{demo0.labels[i]}/{demo0.ids[i]}.png"
        with Image.open(tmp_path / rel) as im:
            assert im.format == "PNG" and im.mode == "RGB"
            arr = np.asarray(im)
        np.testing.assert_array_equal(arr, demo0.images[i])  # lossless
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(CLASSES)


def test_save_sample_grid(tmp_path):
    small = generate_demo(counts={"cry": 5, "laugh": 3, "neutral": 2}, seed=1)
    out = tmp_path / "sub" / "grid.png"
    save_sample_grid(out, small, per_class=4)
    with Image.open(out) as im:
        assert im.format == "PNG" and im.width > im.height > 100


def test_difficulty_band(demo0):
    """A grouped-CV pixel classifier must find the task learnable but not trivial."""
    from sklearn.ensemble import AdaBoostClassifier
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedGroupKFold
    from sklearn.tree import DecisionTreeClassifier

    X = np.stack(
        [
            cv2.resize(cv2.cvtColor(im, cv2.COLOR_RGB2GRAY), (48, 48), interpolation=cv2.INTER_AREA).ravel()
            for im in demo0.images
        ]
    ).astype(np.float32)
    y, g = demo0.labels, demo0.groups
    scores = []
    for tr, te in StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0).split(X, y, g):
        assert not set(g[tr]) & set(g[te])
        clf = AdaBoostClassifier(estimator=DecisionTreeClassifier(max_depth=3), n_estimators=50, random_state=0)
        clf.fit(X[tr], y[tr])
        scores.append(f1_score(y[te], clf.predict(X[te]), average="macro"))
    macro_f1 = float(np.mean(scores))
    assert 0.5 <= macro_f1 <= 0.95, macro_f1  # calibrated: ~0.79 for seed 0


def test_the_docs_quote_the_demo_s_counts_from_demo_py():
    """The demo's class counts live in infantfer.demo; the two pages that quote them must agree."""
    from conftest import REPO

    quoted = "{" + ", ".join(f"{c}: {n}" for c, n in DEFAULT_COUNTS.items()) + "}"
    assert f"| `counts` | demo | `{quoted}` |" in (REPO / "config" / "README.md").read_text()
    assert " / ".join(f"{c} {n}" for c, n in DEFAULT_COUNTS.items()) in (REPO / "README.md").read_text()
