"""Ingest: every layout, ids, groups, duplicates, EXIF, and the errors users meet."""
import shutil

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from infantfer.config import resolve_config
from infantfer.ingest import (
    MANIFEST_COLUMNS, DataError, check_enough_groups, class_group_counts, ingest, read_manifest, write_manifest,
)
from conftest import write_image


def settings(name="d", **ds):
    return resolve_config({"datasets": {name: ds}})["datasets"][name]


def test_folders_layout(class_folders, tmp_path):
    manifest = ingest(settings(layout="folders", path=str(class_folders)))
    assert list(manifest.columns) == MANIFEST_COLUMNS
    assert manifest["label"].value_counts().to_dict() == {"cry": 6, "laugh": 4, "neutral": 3}
    assert manifest["id"].is_unique and manifest["group"].is_unique  # no groups: each image its own
    assert set(manifest["mode"]) == {"L"} and set(manifest["width"]) == {24.0}
    assert manifest["sha256"].str.len().eq(64).all()
    # ids are stable: same dataset again, or with a file added, keeps the old ids
    again = ingest(settings(layout="folders", path=str(class_folders)))
    assert again["id"].tolist() == manifest["id"].tolist()
    write_image(class_folders / "cry" / "zz_new.png", 999)
    grown = ingest(settings(layout="folders", path=str(class_folders)))
    assert set(manifest["id"]) < set(grown["id"])
    write_manifest(manifest, tmp_path / "m.tsv")
    assert read_manifest(tmp_path / "m.tsv")["id"].tolist() == manifest["id"].tolist()


def test_exif_orientation_applied(tmp_path):
    root = tmp_path / "exif"
    (root / "cry").mkdir(parents=True)
    (root / "laugh").mkdir()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90: a 40 x 20 file is a 20 x 40 picture
    Image.new("RGB", (40, 20), (200, 100, 50)).save(root / "cry" / "a.jpg", exif=exif)
    write_image(root / "laugh" / "b.png", 1)
    manifest = ingest(settings(layout="folders", path=str(root))).set_index("label")
    assert (manifest.loc["cry", "width"], manifest.loc["cry", "height"]) == (20.0, 40.0)


def test_duplicates_share_a_group_and_conflicts_name_both_files(class_folders):
    shutil.copy(class_folders / "cry" / "cry_0.png", class_folders / "cry" / "cry_copy.png")
    manifest = ingest(settings(layout="folders", path=str(class_folders))).set_index("source")
    assert manifest.loc["cry/cry_0.png", "group"] == manifest.loc["cry/cry_copy.png", "group"]
    shutil.copy(class_folders / "cry" / "cry_1.png", class_folders / "laugh" / "mislabelled.png")
    with pytest.raises(DataError) as err:
        ingest(settings(layout="folders", path=str(class_folders)))
    assert "cry/cry_1.png" in str(err.value) and "laugh/mislabelled.png" in str(err.value)


def test_duplicates_merge_whole_subject_groups(tmp_path):
    # a copy of one of subject A's photos filed under subject B: A and B become one group
    root = tmp_path / "csv"
    for i in range(4):
        write_image(root / f"{i}.png", i)
    shutil.copy(root / "0.png", root / "4.png")
    pd.DataFrame({"file": [f"{i}.png" for i in range(5)], "label": ["cry"] * 5,
                  "subject": ["A", "A", "B", "", "B"]}).to_csv(root / "labels.csv", index=False)
    manifest = ingest(settings(layout="csv", path=str(root), manifest="labels.csv", group_column="subject"))
    groups = dict(zip(manifest["source"], manifest["group"]))
    assert groups["0.png"] == groups["1.png"] == groups["2.png"] == groups["4.png"]
    assert groups["3.png"].startswith("img:")  # empty subject: its own group


def test_csv_layout_filters_and_errors(tmp_path):
    root = tmp_path / "csv"
    for i in range(6):
        write_image(root / "img" / f"{i}.png", i)
    table = pd.DataFrame({"path": [f"img/{i}.png" for i in range(6)], "expr": ["cry", "laugh"] * 3,
                          "who": list("aabbcc"), "ok": ["y", "y", "y", "n", "y", "y"]})
    table.to_csv(root / "m.csv", index=False)
    ds = dict(layout="csv", path=str(root), manifest="m.csv", file_column="path", label_column="expr",
              group_column="who", filters={"ok": "y"})
    manifest = ingest(settings(**ds))
    assert len(manifest) == 5 and set(manifest["group"]) == {"a", "b", "c"}
    with pytest.raises(DataError, match=r"no column\(s\) \['label'\].*label_column"):
        ingest(settings(**{**ds, "label_column": "label"}))
    table.loc[6] = ["img/missing.png", "cry", "d", "y"]
    table.to_csv(root / "m.csv", index=False)
    with pytest.raises(DataError, match="missing.png"):
        ingest(settings(**ds))


def test_filename_fields_keep_infants(tmp_path):
    root = tmp_path / "utk"
    for i, age in enumerate([1, 2, 2, 5, 30, 0]):
        write_image(root / ("cry" if i % 2 else "laugh") / f"{age}_0_1_2017{i:04d}.jpg.png", i)
    write_image(root / "cry" / "not_a_utk_name.png", 50)
    ds = settings(layout="filename_fields", path=str(root),
                  pattern=r"^(?P<age>\d+)_(?P<gender>\d)_(?P<race>\d)_(?P<date>\d+)", filters={"age": {"max": 2}})
    manifest = ingest(ds)
    assert sorted(int(s.split("/")[1].split("_")[0]) for s in manifest["source"]) == [0, 1, 2, 2]


def test_pixels_csv(tmp_path):
    rng = np.random.default_rng(0)
    rows = [{"emotion": e, "pixels": " ".join(map(str, rng.integers(0, 256, 16))), "Usage": u}
            for e, u in [(0, "Training"), (3, "Training"), (3, "Training"), (5, "Training"), (0, "PublicTest")]]
    csv = tmp_path / "fer.csv"
    pd.DataFrame(rows).to_csv(csv, index=False)
    ds = settings(layout="pixels_csv", path=str(csv), label_names={0: "angry", 3: "happy"}, filters={"Usage": "Training"})
    manifest = ingest(ds, image_dir=tmp_path / "images")
    assert manifest["label"].tolist() == ["angry", "happy", "happy"]  # label 5 not named: skipped
    assert manifest["source"].tolist() == ["fer.csv line 2", "fer.csv line 3", "fer.csv line 4"]
    assert manifest["path"].tolist()[0] == "line0000002.png"  # relative to the images' folder
    first = np.asarray(Image.open(tmp_path / "images" / manifest["path"][0]))
    assert first.shape == (4, 4) and first.ravel().tolist() == [int(v) for v in rows[0]["pixels"].split()]
    assert class_group_counts(ds).to_dict() == {"angry": 1, "happy": 2}
    pd.DataFrame([{"emotion": 0, "pixels": "1 2 3", "Usage": "Training"}]).to_csv(csv, index=False)
    with pytest.raises(DataError, match="line 2.*square"):
        ingest(ds, image_dir=tmp_path / "images")


def test_unreadable_image_is_recorded_not_fatal(class_folders):
    (class_folders / "cry" / "broken.jpg").write_bytes(b"not an image")
    manifest = ingest(settings(layout="folders", path=str(class_folders))).set_index("source")
    assert manifest.loc["cry/broken.jpg", "mode"] == "unreadable"


def test_too_few_groups_names_class_and_fix(class_folders):
    counts = class_group_counts(settings(layout="folders", path=str(class_folders)))
    assert counts.to_dict() == {"cry": 6, "laugh": 4, "neutral": 3}
    check_enough_groups(counts, 3, "d")
    with pytest.raises(DataError) as err:
        check_enough_groups(counts, 5, "d")
    assert "'laugh' has 4" in str(err.value) and "'neutral' has 3" in str(err.value)
    assert "datasets.d.split.folds" in str(err.value)


def test_fingerprint_follows_the_files(class_folders):
    from infantfer.ingest import listing_fingerprint

    ds = settings(layout="folders", path=str(class_folders))
    before = listing_fingerprint(ds)
    assert listing_fingerprint(ds) == before
    write_image(class_folders / "laugh" / "new.png", 77)
    assert listing_fingerprint(ds) != before
    assert listing_fingerprint(settings(layout="demo")) == "demo"
