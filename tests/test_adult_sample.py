"""The shared adult sample through ingest, BlazeFace and the grouped split, as
config/adult_sample.yaml runs it (skipped where ../shared is absent)."""
import numpy as np
import pandas as pd
import yaml

from infantfer.config import resolve_config
from infantfer.faces import extract_faces
from infantfer.ingest import ingest
from infantfer.split import make_folds
from conftest import REPO


def test_adult_sample_csv_blazeface_grouped(adult_sample):
    config = yaml.safe_load((REPO / "config" / "adult_sample.yaml").read_text())
    config["datasets"]["adult_sample"]["path"] = str(adult_sample)
    ds = resolve_config(config)["datasets"]["adult_sample"]
    manifest = ingest(ds)
    assert manifest["label"].value_counts().to_dict() == {"happiness": 90, "neutral": 60, "sadness": 24, "fear": 12}
    arrays, report = extract_faces(manifest, **ds["faces"])
    assert (report["status"] == "ok").mean() >= 0.95
    assert arrays["x"].shape[1:] == (32, 32)  # the config's faces.size
    images = pd.DataFrame({"id": arrays["id"], "label": arrays["y"], "group": arrays["group"]})
    images["sha256"] = manifest.set_index("id").loc[images["id"], "sha256"].to_numpy()
    folds = make_folds(images, ds["split"]["folds"], ds["split"]["repeats"], ds["split"]["seed"])
    subjects = manifest.set_index("id")["source"]
    labels = pd.read_csv(adult_sample / "labels.csv", keep_default_na=False).set_index("file")["subject"]
    folds["subject"] = labels.loc[subjects.loc[folds["id"]].to_numpy()].to_numpy()
    named = folds[folds["subject"] != ""]
    for _, table in named.groupby(["repeat", "fold"]):
        assert not set(table[table.role == "train"]["subject"]) & set(table[table.role == "test"]["subject"])
    assert np.unique(folds["repeat"]).tolist() == list(range(ds["split"]["repeats"]))
