"""Hostile and broken input through the Python API: paths that leave the dataset, labels that would
leave results/, files listed twice, look-alike labels, silent drops, empty or one-class datasets.
Each case is a tiny generated dataset; the message a user gets is asserted, and each suggested fix
is applied and shown to work."""
from __future__ import annotations

import logging
import os
import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from conftest import write_image
from infantfer.balanced import export_balanced
from infantfer.config import ConfigError, resolve_config
from infantfer.ingest import DataError, check_enough_groups, class_group_counts, ingest, list_images
from infantfer.io.npz import TrainingSet
from infantfer.io.filenames import path_part


def settings(name="d", **ds):
    return resolve_config({"datasets": {name: ds}})["datasets"][name]


def folders(root, counts=None, start=0):
    seed = start
    for label, n in (counts or {"cry": 4, "laugh": 3}).items():
        for i in range(n):
            seed += 1
            write_image(root / label / f"{i}.png", seed)
    return root


def csv_dataset(tmp_path, rows, **extra):
    root = folders(tmp_path / "data")
    manifest = tmp_path / "labels.csv"
    pd.DataFrame(rows, columns=["file", "label"]).to_csv(manifest, index=False)
    return settings(layout="csv", path=str(root), manifest=str(manifest), label_column="label", **extra)


BASE_ROWS = [("cry/0.png", "cry"), ("cry/1.png", "cry"), ("laugh/0.png", "laugh"), ("laugh/1.png", "laugh")]


# ------------------------------------------------------------------ one rule for every path


@pytest.mark.parametrize("outside", ["../elsewhere/x.png", "ABSOLUTE"])
def test_a_manifest_row_outside_the_dataset_is_refused_unless_allowed(tmp_path, caplog, outside):
    target = write_image(tmp_path / "elsewhere" / "x.png", 99)
    row = str(target) if outside == "ABSOLUTE" else outside
    ds = csv_dataset(tmp_path, [*BASE_ROWS, (row, "cry")])
    with pytest.raises(DataError, match=r"1 image\(s\) lie outside the dataset's folder") as err:
        list_images(ds)
    assert row in str(err.value) and "datasets.d.allow_outside_root: true" in str(err.value)
    caplog.set_level(logging.WARNING)
    allowed = list_images(csv_dataset(tmp_path, [*BASE_ROWS, (row, "cry")], allow_outside_root=True))
    assert str(target.resolve()) in set(allowed["path"])  # the fix the message names works, and says so
    assert "outside" in caplog.text and "allow_outside_root is true" in caplog.text


def test_a_symlinked_file_or_class_folder_pointing_outside_is_refused(tmp_path):
    root = folders(tmp_path / "data")
    outside = folders(tmp_path / "other", {"fear": 3}, start=50)
    os.symlink(outside / "fear" / "0.png", root / "cry" / "linked.png")
    with pytest.raises(DataError, match=r"cry/linked\.png"):
        list_images(settings(layout="folders", path=str(root)))
    os.remove(root / "cry" / "linked.png")
    os.symlink(outside / "fear", root / "fear")  # would silently become a new class
    with pytest.raises(DataError, match=r"3 image\(s\) lie outside.*fear/0\.png"):
        list_images(settings(layout="folders", path=str(root)))


def test_a_symlink_inside_the_dataset_is_fine(tmp_path):
    root = folders(tmp_path / "data")
    (root / "store").mkdir()
    os.replace(root / "cry" / "0.png", root / "store" / "0.png")
    os.symlink(root / "store" / "0.png", root / "cry" / "0.png")
    images = list_images(settings(layout="csv", path=str(root), manifest=str(_manifest(tmp_path, [("cry/0.png", "cry"),
                         ("cry/1.png", "cry"), ("laugh/0.png", "laugh")])), label_column="label"))
    assert len(images) == 3


def _manifest(tmp_path, rows):
    path = tmp_path / "m.csv"
    pd.DataFrame(rows, columns=["file", "label"]).to_csv(path, index=False)
    return path


def test_one_file_listed_three_ways_counts_once(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    ds = csv_dataset(tmp_path, [*BASE_ROWS, ("./cry/0.png", "cry"), ("cry//0.png", "cry")])
    images = list_images(ds)
    assert len(images) == 4 and images["path"].is_unique
    assert "2 row(s) list a file already listed" in caplog.text and "./cry/0.png" in caplog.text


def test_one_file_under_two_labels_is_an_error_naming_both_rows(tmp_path):
    ds = csv_dataset(tmp_path, [*BASE_ROWS, ("./cry/0.png", "laugh")])
    with pytest.raises(DataError, match=r"cry/0\.png labelled 'cry'; \./cry/0\.png labelled 'laugh'"):
        list_images(ds)


# ------------------------------------------------------------------ labels never become paths


@pytest.mark.parametrize("label", ["../../../../../x", "/srv/x", "..", "a/b", "crying baby", "Überraschung", "C:\\x"])
def test_a_label_never_leaves_the_balanced_set(tmp_path, label):
    ts = TrainingSet(np.zeros((2, 8, 8), np.uint8), np.array([label, "cry"]), np.array(["../id1", "id2"]),
                     np.array(["real", "real"]))
    out = tmp_path / "results" / "balanced"
    manifest = export_balanced(ts, out)
    written = [p for p in tmp_path.rglob("*.png")]
    assert len(written) == 2 and all(p.resolve().is_relative_to(out.resolve()) for p in written), written
    assert manifest["label"].tolist() == [label, "cry"]  # verbatim in the table
    assert all(len(Path_(f).parts) == 2 for f in manifest["file"])  # <part>/<id>.png, nothing deeper


def Path_(text):
    from pathlib import PurePosixPath

    return PurePosixPath(text)


def test_label_parts_keep_letters_of_any_script():
    assert path_part("crying baby") == "crying_baby"
    assert path_part("Überraschung") == "Überraschung"
    assert path_part("../../x") == "x" and path_part("/srv/x") == "srv_x"
    assert re.fullmatch(r"_[0-9a-f]{8}", path_part("..")) and path_part("..") != path_part("/")


def test_two_labels_with_one_file_name_part_are_an_error_naming_both(tmp_path):
    root = folders(tmp_path / "data", {"crying baby": 3, "crying_baby": 3, "laugh": 3})
    with pytest.raises(DataError, match=r"labels 'crying baby' and 'crying_baby' would share the file-name part 'crying_baby'"):
        list_images(settings(layout="folders", path=str(root)))


@pytest.mark.parametrize("twin", ["cyr", "crys"])  # (Cry/cry: an error, below)
def test_look_alike_labels_are_warned_naming_both(tmp_path, caplog, twin):
    caplog.set_level(logging.WARNING)
    ds = csv_dataset(tmp_path, [*BASE_ROWS, ("cry/2.png", twin)])
    assert set(list_images(ds)["label"]) == {"cry", "laugh", twin}
    assert re.search(rf"labels '(cry|{twin})' \(\d images\) and '(cry|{twin})' \(\d images\) look alike", caplog.text)


def test_distinct_labels_are_not_warned(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    list_images(csv_dataset(tmp_path, BASE_ROWS))
    assert "look alike" not in caplog.text


# ------------------------------------------------------------------ nothing dropped without a word


def test_a_trailing_space_is_trimmed_before_filters(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    ds = csv_dataset(tmp_path, [*BASE_ROWS, ("cry/2.png", "cry "), ("laugh/2.png", "laugh")],
                     filters={"label": ["cry", "laugh"]})
    images = list_images(ds)
    assert images["label"].value_counts().to_dict() == {"cry": 3, "laugh": 3}
    assert "filter on" not in caplog.text  # nothing dropped: "cry " is cry


def test_what_a_filter_drops_is_counted_at_warning(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    ds = csv_dataset(tmp_path, [*BASE_ROWS, ("cry/2.png", "neutral")], filters={"label": ["cry", "laugh"]})
    assert len(list_images(ds)) == 4
    assert "filter on 'label' dropped 1 row(s), values e.g. neutral" in caplog.text


def test_filters_work_in_the_folders_layout(tmp_path):
    root = folders(tmp_path / "data", {"cry": 3, "laugh": 3, "sleepy": 2})
    images = list_images(settings(layout="folders", path=str(root), filters={"label": ["cry", "laugh"]}))
    assert set(images["label"]) == {"cry", "laugh"}
    with pytest.raises(ConfigError, match=r"datasets\.d\.filters\.age.*folders layout knows only each image's label"):
        settings(layout="folders", path=str(root), filters={"age": {"max": 2}})


def test_an_empty_class_folder_and_unread_formats_are_warned(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    root = folders(tmp_path / "data")
    (root / "neutral").mkdir()
    Image.new("L", (8, 8)).save(root / "cry" / "anim.gif")
    Image.new("L", (8, 8)).save(root / "laugh" / "x.webp")
    images = list_images(settings(layout="folders", path=str(root)))
    assert set(images["label"]) == {"cry", "laugh"}
    assert "1 class folder(s) hold no image and give no class: neutral" in caplog.text
    assert "anim.gif" in caplog.text and "x.webp" in caplog.text and "format not read" in caplog.text


def test_pixel_rows_with_unknown_labels_are_warned(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    csv = tmp_path / "fer.csv"
    pixels = " ".join(["7"] * 16)
    pd.DataFrame({"emotion": ["0", "1", "5", "0", "1"], "pixels": [pixels] * 5}).to_csv(csv, index=False)
    ds = settings(layout="pixels_csv", path=str(csv), label_column="emotion", label_names={0: "cry", 1: "laugh"})
    assert len(list_images(ds, tmp_path / "img")) == 4
    assert "1 row(s) with labels not in label_names skipped, labels e.g. 5" in caplog.text


# ------------------------------------------------------------------ stop before any job, with a fix that works


def test_an_empty_csv_names_the_file(tmp_path):
    root = folders(tmp_path / "data")
    (tmp_path / "empty.csv").write_text("")
    ds = settings(layout="csv", path=str(root), manifest=str(tmp_path / "empty.csv"), label_column="label")
    with pytest.raises(DataError, match=r"empty\.csv: this manifest is empty"):
        list_images(ds)


def test_a_single_class_stops_before_any_job(tmp_path):
    root = folders(tmp_path / "data", {"cry": 6})
    ds = settings(layout="folders", path=str(root))
    with pytest.raises(DataError, match=r"1 class\(es\) \(cry\); comparing classifiers needs at least 2"):
        check_enough_groups(class_group_counts(ds), ds["split"]["folds"], "d")


def test_too_few_groups_at_two_folds_advises_what_works(tmp_path):
    """At folds 2 the fix cannot be fewer folds; the filter it names keeps the other classes."""
    root = folders(tmp_path / "data", {"cry": 4, "laugh": 4, "neutral": 3, "sleepy": 1})
    ds = settings(layout="folders", path=str(root), split={"folds": 2})
    with pytest.raises(DataError) as err:
        check_enough_groups(class_group_counts(ds), 2, "d")
    message = str(err.value)
    assert "split.folds" not in message.split("Fix:")[1]
    fix = re.search(r"datasets\.d\.filters: (\{.*\})\.?$", message)
    assert fix and fix.group(1).startswith('{"label": ['), message
    import yaml

    fixed = settings(layout="folders", path=str(root), split={"folds": 2}, filters=yaml.safe_load(fix.group(1)))
    check_enough_groups(class_group_counts(fixed), 2, "d")  # passes


def test_too_few_groups_with_more_folds_advises_folds_that_work(tmp_path):
    root = folders(tmp_path / "data", {"cry": 5, "laugh": 3})
    ds = settings(layout="folders", path=str(root))
    with pytest.raises(DataError, match=r"datasets\.d\.split\.folds: 3\)") as err:
        check_enough_groups(class_group_counts(ds), 5, "d")
    check_enough_groups(class_group_counts(ds), int(re.search(r"split\.folds: (\d)\)", str(err.value)).group(1)), "d")


def test_an_explicitly_empty_datasets_mapping_is_an_error():
    from infantfer.config import add_demo_if_no_datasets

    with pytest.raises(ConfigError, match="datasets"):
        add_demo_if_no_datasets({"datasets": {}})


@pytest.mark.parametrize("name", ["../x", "a/b", ".hidden", "x y"])
def test_a_dataset_name_cannot_be_a_path(name):
    with pytest.raises(ConfigError):
        resolve_config({"datasets": {name: {"layout": "demo"}}})


def test_the_ingested_manifest_keeps_labels_verbatim(tmp_path):
    root = folders(tmp_path / "data", {"crying baby": 3, "Überraschung": 3})
    manifest = ingest(settings(layout="folders", path=str(root)))
    assert set(manifest["label"]) == {"crying baby", "Überraschung"}


# ------------------------------------------------------------------ pixel budget and flat crops


def test_ingest_reads_sizes_from_headers_only(tmp_path, monkeypatch):
    """No image is decoded at ingest (a 140 KB PNG can hold 786 MB of pixels): width, height and
    mode come from the header, EXIF rotation included."""
    root = folders(tmp_path / "data")
    rotated = Image.new("L", (30, 20))
    exif = rotated.getexif()
    exif[0x0112] = 6  # rotated a quarter turn: seen as 20 x 30
    rotated.save(root / "cry" / "rotated.jpg", exif=exif)

    def no_decoding(self, *args, **kwargs):
        raise AssertionError(f"ingest decoded {self.filename}")

    monkeypatch.setattr(Image.Image, "load", no_decoding)
    manifest = ingest(settings(layout="folders", path=str(root)))
    row = manifest[manifest["path"].str.endswith("rotated.jpg")].iloc[0]
    assert (row["width"], row["height"], row["mode"]) == (20.0, 30.0, "L")


def test_an_image_over_the_pixel_budget_is_reported_not_decoded(tmp_path, monkeypatch):
    from infantfer.faces import extract_faces

    root = folders(tmp_path / "data")
    Image.new("L", (300, 200), 128).save(root / "cry" / "big.png")
    manifest = ingest(settings(layout="folders", path=str(root), ingest={"max_pixels": 50_000}))
    arrays, report = extract_faces(manifest, detector="none", size=16, max_pixels=50_000)
    big = report[report["path"].str.endswith("big.png")].iloc[0]
    assert big["status"] == "too_large" and "300 x 200 = 60,000 pixels" in big["reason"]
    assert "max_pixels" in big["reason"] and len(arrays["id"]) == len(manifest) - 1


def test_a_flat_face_crop_is_dropped_with_its_reason(tmp_path):
    from infantfer.faces import extract_faces

    root = folders(tmp_path / "data")
    Image.new("L", (40, 40), 0).save(root / "laugh" / "black.png")
    manifest = ingest(settings(layout="folders", path=str(root)))
    arrays, report = extract_faces(manifest, detector="none", size=16)
    black = report[report["path"].str.endswith("black.png")].iloc[0]
    assert black["status"] == "constant" and "one flat grey level (0)" in black["reason"]
    assert black["id"] not in set(arrays["id"]) and len(arrays["id"]) == len(manifest) - 1


def test_labels_differing_only_in_case_are_an_error_on_every_filesystem(tmp_path):
    """macOS and Windows folders ignore case: Cry/ and cry/ would merge in the balanced set."""
    ds = csv_dataset(tmp_path, [*BASE_ROWS, ("cry/2.png", "Cry"), ("cry/3.png", "Cry")])
    with pytest.raises(DataError, match=r"labels '(cry|Cry)' and '(cry|Cry)' would share the file-name part"):
        list_images(ds)


def test_a_filter_fix_names_the_csv_s_label_column_and_quotes_labels(tmp_path):
    root = folders(tmp_path / "data", {"cry": 4, "laugh, loud": 4, "neutral": 1})
    rows = [(f"{c}/{i}.png", c) for c, n in {"cry": 4, "laugh, loud": 4, "neutral": 1}.items() for i in range(n)]
    manifest = tmp_path / "m.csv"
    pd.DataFrame(rows, columns=["file", "emotion"]).to_csv(manifest, index=False)
    ds = settings(layout="csv", path=str(root), manifest=str(manifest), label_column="emotion", split={"folds": 2})
    from infantfer.ingest import label_filter_key

    with pytest.raises(DataError) as err:
        check_enough_groups(class_group_counts(ds), 2, "d", label_filter_key(ds))
    fix = re.search(r"datasets\.d\.filters: (\{.*\})\.?$", str(err.value))
    assert fix and '"emotion"' in fix.group(1), str(err.value)
    import yaml

    fixed = settings(layout="csv", path=str(root), manifest=str(manifest), label_column="emotion", split={"folds": 2},
                     filters=yaml.safe_load(fix.group(1)))
    check_enough_groups(class_group_counts(fixed), 2, "d", label_filter_key(fixed))  # the fix works


def test_images_outside_any_class_folder_are_warned(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    root = folders(tmp_path / "data")
    write_image(root / "loose.png", 77)
    list_images(settings(layout="folders", path=str(root)))
    assert "1 image(s) outside any class folder ignored (no label): loose.png" in caplog.text


# ------------------------------------------------------------------ issue K: names, tables and files a lab really has


def latin1_name(folder, name: bytes):
    """A path whose name holds bytes that are not UTF-8 (as Python lists it: surrogates)."""
    return folder / os.fsdecode(name)


def test_a_file_name_that_is_not_utf8_is_skipped_naming_it_and_the_rest_is_read(tmp_path, caplog):
    from infantfer.ingest import listing_fingerprint, read_manifest, write_manifest

    caplog.set_level(logging.WARNING)
    root = folders(tmp_path / "data")
    write_image(latin1_name(root / "cry", b"caf\xe9.png"), 90)
    write_image(latin1_name(root, b"b\xe9b\xe9") / "0.png", 91)  # a class folder of that kind too
    ds = settings(layout="folders", path=str(root))
    listing = list_images(ds)
    assert len(listing) == 7 and set(listing["label"]) == {"cry", "laugh"}
    assert listing_fingerprint(ds, listing)  # where the whole workflow died at parse time
    manifest = ingest(ds)
    write_manifest(manifest, tmp_path / "manifest.tsv")
    assert len(read_manifest(tmp_path / "manifest.tsv")) == 7
    caplog.text.encode("utf-8")  # nothing unprintable reached the log
    assert r"caf\xe9.png" in caplog.text and r"b\xe9b\xe9" in caplog.text and "not UTF-8" in caplog.text
    fix = re.search(r"`(convmv -f latin1 -t utf8 -r --notest [^`]+)`", caplog.text)
    assert fix, caplog.text
    # the fix, as convmv applies it: each name decoded as latin-1, written in UTF-8
    for path in [latin1_name(root / "cry", b"caf\xe9.png"), latin1_name(root, b"b\xe9b\xe9")]:
        os.rename(path, path.parent / os.fsencode(path.name).decode("latin-1"))
    fixed = list_images(ds)
    assert {"cry/café.png", "bébé/0.png"} <= set(fixed["source"]) and len(fixed) == 9


def test_hidden_folders_fifos_broken_links_and_linked_folders_are_skipped_with_a_reason(tmp_path, caplog):
    import signal

    caplog.set_level(logging.WARNING)
    root = folders(tmp_path / "data")
    folders(root / "...", {"cry": 2}, start=40)  # a class folder named like ".", hidden
    os.mkfifo(root / "cry" / "pipe.png")  # opened for reading, it would wait forever
    os.symlink("gone.png", root / "cry" / "dangling.png")
    os.symlink("loop.png", root / "cry" / "loop.png")
    os.symlink(root / "laugh", root / "cry" / "more")  # a symlinked sub-folder
    signal.alarm(60)  # a hang fails the test instead of the suite
    try:
        manifest = ingest(settings(layout="folders", path=str(root)))
    finally:
        signal.alarm(0)
    assert len(manifest) == 7
    for name, reason in [("'...'", "hidden"), ("'pipe.png'", "not a regular file (a FIFO"),
                         ("'dangling.png'", "a dangling symlink"), ("'loop.png'", "a symlink loop"),
                         ("'more'", "a symlinked folder (never followed")]:
        lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and name in r.getMessage()]
        assert lines and reason in lines[0] and "Fix:" in lines[0], (name, caplog.text)


def test_a_manifest_row_naming_a_fifo_is_an_error_not_a_hang(tmp_path):
    ds = csv_dataset(tmp_path, [*BASE_ROWS, ("cry/pipe.png", "cry")])
    os.mkfifo(tmp_path / "data" / "cry" / "pipe.png")
    with pytest.raises(DataError, match=r"1 listed path\(s\) are not image files, e\.g\. .*cry/pipe\.png: not a regular"):
        list_images(ds)


def _separated(tmp_path, sep: str):
    root = folders(tmp_path / "data")
    manifest = tmp_path / "labels.csv"
    manifest.write_text(f"file{sep}label\n" + "".join(f"{f}{sep}{lab}\n" for f, lab in BASE_ROWS))
    return root, manifest


@pytest.mark.parametrize("sep", [";", "\t"])
def test_a_csv_separated_otherwise_advises_sep_and_the_fix_works(tmp_path, sep):
    import yaml

    root, manifest = _separated(tmp_path, sep)
    with pytest.raises(DataError) as err:
        list_images(settings(layout="csv", path=str(root), manifest=str(manifest), label_column="label"))
    fix = re.search(r"Fix: set datasets\.d\.sep: (\S+) in the config", str(err.value))
    assert fix and "file_column" not in str(err.value), str(err.value)
    value = yaml.safe_load(fix.group(1))
    assert value == sep
    fixed = list_images(settings(layout="csv", path=str(root), manifest=str(manifest), label_column="label", sep=value))
    assert len(fixed) == 4


def test_a_header_naming_a_column_twice_is_an_error_naming_it(tmp_path):
    root = folders(tmp_path / "data")
    manifest = tmp_path / "labels.csv"
    manifest.write_text("file,label,label\n" + "".join(f"{f},{lab},other\n" for f, lab in BASE_ROWS))
    with pytest.raises(DataError, match=r"labels\.csv: the header of this manifest names column\(s\) 'label' more than once"):
        list_images(settings(layout="csv", path=str(root), manifest=str(manifest), label_column="label"))


@pytest.mark.parametrize("label,escaped,code", [("cry\u200b", r"cry\u200b", "U+200B"),
                                                ("\x1b[31mcry\x1b[0m", r"\x1b[31mcry\x1b[0m", "U+001B")])
def test_a_label_with_invisible_or_control_characters_is_refused_printed_escaped(tmp_path, label, escaped, code):
    ds = csv_dataset(tmp_path, [*BASE_ROWS, ("cry/2.png", label), ("cry/3.png", label)])
    with pytest.raises(DataError) as err:
        list_images(ds)
    message = str(err.value)
    assert f"label '{escaped}'" in message and code in message and "Fix:" in message
    assert "\x1b" not in message and "\u200b" not in message
    # the folders layout too: the folder's name is the label
    root = folders(tmp_path / "f", {"cry": 3, label: 3})
    with pytest.raises(DataError, match=re.escape(escaped)):
        list_images(settings(layout="folders", path=str(root)))


def test_folders_cry_and_space_cry_are_one_class_with_a_warning_naming_both(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    root = folders(tmp_path / "data", {"cry": 3, " cry": 2, "laugh": 3})
    images = list_images(settings(layout="folders", path=str(root)))
    assert images["label"].value_counts().to_dict() == {"cry": 5, "laugh": 3}
    assert "folders 'cry' (3 image(s)) and ' cry' (2 image(s)) are one label, 'cry'" in caplog.text


def test_nfc_and_nfd_spellings_become_one_nfc_label_with_a_warning_by_code_points(tmp_path, caplog):
    import unicodedata

    caplog.set_level(logging.WARNING)
    nfc, nfd = unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café")
    ds = csv_dataset(tmp_path, [("cry/0.png", nfc), ("cry/1.png", nfc), ("cry/2.png", nfd),
                                ("laugh/0.png", "laugh"), ("laugh/1.png", "laugh")])
    images = list_images(ds)
    assert images["label"].value_counts().to_dict() == {nfc: 3, "laugh": 2}
    assert r"'caf\xe9' (2 image(s)) and 'cafe\u0301' (1 image(s)) are one label" in caplog.text
    assert "Unicode NFC" in caplog.text


def test_label_column_naming_the_file_column_is_one_message(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    root = folders(tmp_path / "data", {"cry": 20, "laugh": 20})
    rows = [(f"{lab}/{i}.png", lab) for lab in ("cry", "laugh") for i in range(20)]
    manifest = _manifest(tmp_path, rows)
    with pytest.raises(DataError) as err:
        list_images(settings(layout="csv", path=str(root), manifest=str(manifest), label_column="file"))
    message = str(err.value)
    assert "40 classes, 40 of them of one image each" in message
    assert "label_column 'file' looks like the file column" in message and len(message) < 500
    assert len(caplog.records) == 0  # not a warning per look-alike pair
    fixed = list_images(settings(layout="csv", path=str(root), manifest=str(manifest), label_column="label"))
    assert fixed["label"].nunique() == 2


def _png_header(path, width: int, height: int):
    """A PNG file that claims width x height pixels in its header and holds almost none."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("max_pixels", [40_000_000, None])
def test_a_14000_pixel_square_image_is_too_large_not_unreadable(tmp_path, caplog, max_pixels):
    from infantfer.faces import extract_faces

    caplog.set_level(logging.WARNING)
    root = folders(tmp_path / "data")
    _png_header(root / "cry" / "huge.png", 14000, 14000)
    manifest = ingest(settings(layout="folders", path=str(root)))
    huge = manifest[manifest["path"].str.endswith("huge.png")].iloc[0]
    assert (huge["width"], huge["height"]) == (14000.0, 14000.0) and "unreadable" not in caplog.text
    arrays, report = extract_faces(manifest, detector="none", size=16, max_pixels=max_pixels)
    row = report[report["path"].str.endswith("huge.png")].iloc[0]
    assert row["status"] == "too_large", row["reason"]
    assert "196,000,000 pixels" in row["reason"] or "196000000 pixels" in row["reason"]
    assert "ingest.max_pixels" in row["reason"]


@pytest.mark.e2e
def test_e2e_odd_entries_in_one_dataset_block_no_dataset_and_are_named_in_the_run_and_its_log(tmp_path):
    """The real command, up to ingest: a latin-1 file name (the whole workflow died at parse time), a
    FIFO, a dangling symlink and a hidden class folder in one dataset; both datasets are ingested,
    and each skip is named, escaped, with its fix, on the console and in the ingest job's log."""
    import shutil
    import subprocess
    import sys

    import yaml

    from conftest import REPO, local_run_env

    (tmp_path / "config").mkdir()
    shutil.copy(REPO / "config" / "config.yaml", tmp_path / "config" / "config.yaml")
    bad, good = folders(tmp_path / "bad"), folders(tmp_path / "good", start=20)
    write_image(latin1_name(bad / "cry", b"caf\xe9.png"), 90)
    os.mkfifo(bad / "cry" / "pipe.png")
    os.symlink("gone.png", bad / "laugh" / "dangling.png")
    folders(bad / "...", {"cry": 2}, start=40)
    datasets = {"bad": {"layout": "folders", "path": "bad"}, "good": {"layout": "folders", "path": "good"}}
    (tmp_path / "k.yaml").write_text(yaml.safe_dump({"datasets": datasets, "split": {"folds": 2}}))
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--cores", "1",
           "--configfile", "k.yaml", "--until", "ingest"]
    done = subprocess.run(cmd, capture_output=True, timeout=600, cwd=tmp_path, env=local_run_env())
    output = (done.stdout + done.stderr).decode("utf-8", "replace")
    assert done.returncode == 0, output[-3000:]
    assert "\udce9".encode("utf-8", "surrogateescape") not in done.stdout + done.stderr  # no raw latin-1 byte
    log = (tmp_path / "logs" / "bad" / "ingest.log").read_text()
    for text in (output, log):
        assert r"'caf\xe9.png'" in text and "not UTF-8" in text and "convmv -f latin1 -t utf8" in text, text[-3000:]
        assert "'pipe.png'" in text and "'dangling.png'" in text and "'...'" in text
    for name, n in (("bad", 7), ("good", 7)):
        assert len(pd.read_csv(tmp_path / "results" / name / "manifest.tsv", sep="\t")) == n
