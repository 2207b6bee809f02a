"""Hostile input, round four (issue O): files from Excel, labels from YAML, two datasets on one set
of photos, formats not read, absolute paths in what users share. (A full disk: test_disk_full.py;
a checkpoint carrying code: test_cgan.py.) Each case's message is asserted and its fix applied."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from conftest import write_image
from infantfer.config import ConfigError, load_config, resolve_config
from infantfer.ingest import DataError, FileHashes, check_shared_images, content_hashes, ingest, list_images


def folders(root: Path, counts=None, start: int = 0) -> Path:
    seed = start
    for label, n in (counts or {"cry": 4, "laugh": 3}).items():
        for i in range(n):
            seed += 1
            write_image(root / label / f"{i}.png", seed)
    return root


def settings(name="d", **ds):
    return resolve_config({"datasets": {name: ds}})["datasets"][name]


def manifest_dataset(tmp_path: Path, text: str, **extra) -> dict:
    root = folders(tmp_path / "data")
    (tmp_path / "labels.csv").write_text(text)
    return settings(layout="csv", path=str(root), manifest=str(tmp_path / "labels.csv"), **extra)


# ------------------------------------------------------------------ Excel and friends


def test_empty_trailing_columns_from_a_spreadsheet_are_ignored_with_a_line_in_the_log(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="infantfer.ingest")
    ds = manifest_dataset(tmp_path, "file,label,,\ncry/0.png,cry,,\ncry/1.png,cry,,\nlaugh/0.png,laugh,,\n"
                                    "laugh/1.png,laugh,,\n")
    assert list(list_images(ds)["label"]) == ["cry", "cry", "laugh", "laugh"]
    assert "2 column(s) without a name and without values ignored" in caplog.text and "3, 4" in caplog.text


def test_a_nameless_column_with_values_is_named_with_its_line_and_the_fix(tmp_path):
    ds = manifest_dataset(tmp_path, "file,label,\ncry/0.png,cry,\ncry/1.png,cry,subject 7\nlaugh/0.png,laugh,\n")
    with pytest.raises(DataError) as err:
        list_images(ds)
    message = str(err.value)
    assert "labels.csv: column 3" in message and "has no name in the header" in message
    assert "line 3: 'subject 7'" in message and "Fix: give it a name in the header, or delete the column" in message


def test_an_empty_label_cell_names_the_rows_and_the_filter_that_skips_them(tmp_path, caplog):
    text = "file,label\ncry/0.png,cry\ncry/1.png,\ncry/2.png,cry\nlaugh/0.png,laugh\nlaugh/1.png,laugh\n"
    ds = manifest_dataset(tmp_path, text)
    with pytest.raises(DataError) as err:
        list_images(ds)
    message = str(err.value)
    assert "1 image(s) have an empty label in" in message and "labels.csv" in message and "cry/1.png" in message
    assert 'datasets.d.filters: {label: ["cry", "laugh"]}' in message
    caplog.set_level(logging.WARNING, logger="infantfer.ingest")
    fixed = manifest_dataset(tmp_path, text, filters={"label": ["cry", "laugh"]})  # the fix it names
    assert len(list_images(fixed)) == 4
    assert "filter on 'label' dropped 1 row(s)" in caplog.text  # skipped, and said so


# ------------------------------------------------------------------ labels and filters from YAML


@pytest.mark.parametrize("written, key, shown, quoted", [
    ("filters: {label: [1, 01]}", "datasets.d.filters.label.1", "01 is read by YAML as the number 1",
     'filters: {label: ["1", "01"]}'),
    ("filters: {crying: [yes, no]}", "datasets.d.filters.crying.0", "yes is read by YAML as the boolean True",
     'filters: {crying: ["yes", "no"]}'),
    ("filters: {score: 1.0}", "datasets.d.filters.score", "1.0 is read by YAML as the number 1.0",
     'filters: {score: "1.0"}'),
    ("label_names: {0: cry, 1: yes}", "datasets.d.label_names.1", "yes is read by YAML as the boolean True",
     'label_names: {0: cry, 1: "yes"}'),
])
def test_a_label_or_filter_value_yaml_did_not_read_as_text_stops_quoted_as_written(tmp_path, written, key, shown,
                                                                                  quoted):
    layout = (f"layout: pixels_csv\n    path: {tmp_path / 'pixels.csv'}" if "label_names" in written else
              f"layout: filename_fields\n    path: {tmp_path / 'data'}\n    pattern: '^(?P<score>[0-9.]+)_(?P<crying>\\w+)_'")
    (tmp_path / "data").mkdir()
    (tmp_path / "pixels.csv").write_text("emotion,pixels\n0,0 0 0 0\n")
    config = tmp_path / "my.yaml"
    config.write_text(f"datasets:\n  d:\n    {layout}\n    {written}\n")
    with pytest.raises(ConfigError) as err:
        load_config(config)
    message = str(err.value)
    assert err.value.key == key and shown in message and "(labels and filter values are text)" in message
    fix = quoted.split("{", 1)[1].rstrip("}")  # the message gives the key with every value quoted as written
    assert f"Fix: quote it: {fix.split(', ')[-1] if 'label_names' in written else fix}" in message
    config.write_text(config.read_text().replace(written, quoted))  # the fix, applied
    assert load_config(config)["datasets"]["d"]


def test_filter_ranges_stay_numbers(tmp_path):
    ds = settings(layout="filename_fields", path=str(folders(tmp_path / "data")), pattern=r"^(?P<n>\d+)",
                  filters={"n": {"min": 0, "max": 2}})
    assert ds["filters"] == {"n": {"min": 0, "max": 2}}


# ------------------------------------------------------------------ two datasets, one set of photos


def _two(tmp_path, first: dict, second: dict) -> list[str]:
    root = folders(tmp_path / "photos")
    config = {"datasets": {"a": {"layout": "folders", "path": str(root), **first},
                           "b": {"layout": "folders", "path": str(root), **second}}}
    resolved = resolve_config(config)["datasets"]
    hashes = FileHashes()
    return check_shared_images({n: (ds, content_hashes(ds, None, hashes)) for n, ds in resolved.items()})


def test_two_datasets_with_the_same_path_and_settings_stop_naming_both(tmp_path):
    with pytest.raises(DataError) as err:
        _two(tmp_path, {}, {})
    assert "datasets 'a' and 'b' read the same path" in str(err.value) and "Fix: remove one of them" in str(err.value)


def test_two_datasets_sharing_photos_under_other_filters_are_warned_with_a_count(tmp_path):
    warnings = _two(tmp_path, {}, {"filters": {"label": ["cry"]}})
    assert len(warnings) == 1 and "datasets 'a' and 'b' share 4 image(s) with the same content (same path)" in warnings[0]


def test_a_copy_of_a_photo_in_another_dataset_is_counted(tmp_path):
    first, second = folders(tmp_path / "one"), folders(tmp_path / "two", start=100)
    (second / "cry" / "copy.png").write_bytes((first / "cry" / "0.png").read_bytes())
    resolved = resolve_config({"datasets": {"a": {"layout": "folders", "path": str(first)},
                                            "b": {"layout": "folders", "path": str(second)}}})["datasets"]
    hashes = FileHashes()
    warnings = check_shared_images({n: (ds, content_hashes(ds, None, hashes)) for n, ds in resolved.items()})
    assert warnings == [w for w in warnings if "share 1 image(s) with the same content:" in w] and warnings


# ------------------------------------------------------------------ formats: one rule for every layout


def _frames(path: Path, n: int, fmt: str) -> None:
    frames = [Image.fromarray(np.full((24, 24), 40 * i, np.uint8)) for i in range(n)]
    frames[0].save(path, format=fmt, save_all=True, append_images=frames[1:])


def test_a_multi_frame_file_is_read_by_its_first_frame_with_a_warning(tmp_path, caplog):
    root = folders(tmp_path / "data")
    _frames(root / "cry" / "pages.tif", 3, "TIFF")
    caplog.set_level(logging.WARNING, logger="infantfer.ingest")
    manifest = ingest(settings(layout="folders", path=str(root)))
    assert "cry/pages.tif" in set(manifest["path"])
    assert "1 image(s) hold several frames" in caplog.text and "cry/pages.tif (3 frames)" in caplog.text


def test_formats_not_read_are_skipped_in_a_manifest_as_in_folders(tmp_path, caplog):
    root = folders(tmp_path / "data")
    _frames(root / "cry" / "moving.gif", 2, "GIF")
    Image.fromarray(np.zeros((24, 24), np.uint8)).save(root / "laugh" / "x.webp", format="WEBP")
    rows = "file,label\ncry/0.png,cry\ncry/1.png,cry\ncry/moving.gif,cry\nlaugh/0.png,laugh\nlaugh/x.webp,laugh\n"
    (tmp_path / "labels.csv").write_text(rows)
    caplog.set_level(logging.WARNING, logger="infantfer.ingest")
    csv = list_images(settings(layout="csv", path=str(root), manifest=str(tmp_path / "labels.csv")))
    assert set(csv["source"]) == {"cry/0.png", "cry/1.png", "laugh/0.png"}
    assert "2 row(s) name a file of a format not read" in caplog.text and "cry/moving.gif" in caplog.text
    caplog.clear()
    listed = list_images(settings(layout="folders", path=str(root)))
    assert not {"cry/moving.gif", "laugh/x.webp"} & set(listed["source"]) and "format not read" in caplog.text


# ------------------------------------------------------------------ no absolute path in what users share


@pytest.mark.parametrize("layout", ["folders", "csv", "demo", "pixels_csv"])
def test_the_manifest_names_images_relative_to_the_dataset_s_folder(tmp_path, layout, caplog):
    root = folders(tmp_path / "data")
    (root / "cry" / "broken.png").write_bytes(b"not an image")
    (tmp_path / "labels.csv").write_text("file,label\ncry/0.png,cry\ncry/broken.png,cry\nlaugh/0.png,laugh\n")
    (tmp_path / "pixels.csv").write_text("emotion,pixels\n0," + " ".join(["7"] * 16) + "\n1," + " ".join(["9"] * 16) + "\n")
    ds = {"folders": dict(layout="folders", path=str(root)),
          "csv": dict(layout="csv", path=str(root), manifest=str(tmp_path / "labels.csv")),
          "demo": dict(layout="demo", counts={"cry": 3, "laugh": 3}, size=32),
          "pixels_csv": dict(layout="pixels_csv", path=str(tmp_path / "pixels.csv"), label_names={0: "cry", 1: "laugh"}),
          }[layout]
    caplog.set_level(logging.WARNING, logger="infantfer.ingest")
    manifest = ingest(settings(**ds), image_dir=tmp_path / "results" / "d" / "images")
    assert not manifest["path"].str.startswith("/").any() and str(tmp_path) not in " ".join(manifest["path"])
    if layout in ("folders", "csv"):
        assert "cry/broken.png" in set(manifest["path"])
        assert "unreadable image cry/broken.png" in caplog.text and str(tmp_path) not in caplog.text
