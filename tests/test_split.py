"""Split: stratified, grouped when groups exist, no group or sha256 on both sides of a fold."""
import numpy as np
import pandas as pd
import pytest

from infantfer.ingest import DataError
from infantfer.split import LeakageError, check_no_leakage, fold_indices, make_folds


def images(n_groups_per_class=(10, 6, 4), per_group=3, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for label, n_groups in zip(["cry", "laugh", "neutral"], n_groups_per_class):
        for g in range(n_groups):
            for i in range(rng.integers(1, per_group + 1)):
                rows.append({"id": f"{label}{g}_{i}", "label": label, "group": f"{label}-baby{g}"})
    df = pd.DataFrame(rows)
    df["sha256"] = [f"sha{i}" for i in range(len(df))]
    return df


def test_grouped_folds_cover_every_image_once_per_repeat():
    df = images()
    folds = make_folds(df, folds=3, repeats=2, seed=0)
    assert list(folds.columns) == ["id", "sha256", "label", "group", "repeat", "fold", "role"]
    test = folds[folds["role"] == "test"]
    assert (test.groupby("repeat")["id"].apply(lambda s: s.sort_values().tolist()) == [sorted(df["id"])] * 2).all()
    for (_, _), table in folds.groupby(["repeat", "fold"]):
        train, held = table[table.role == "train"], table[table.role == "test"]
        assert not set(train.group) & set(held.group)
        assert set(held.label) == {"cry", "laugh", "neutral"}  # stratified
    r0 = folds[(folds.repeat == 0) & (folds.role == "test")].set_index("id")["fold"]
    r1 = folds[(folds.repeat == 1) & (folds.role == "test")].set_index("id")["fold"]
    assert (r0 != r1.loc[r0.index]).any()  # repeats reshuffle


def test_duplicates_in_one_group_never_straddle():
    df = images()
    df.loc[df.index[:2], "sha256"] = "same"
    df.loc[df.index[:2], "group"] = df.loc[df.index[0], "group"]
    folds = make_folds(df, folds=3, repeats=3, seed=1)
    check_no_leakage(folds)


def test_ungrouped_uses_plain_stratified_kfold(caplog):
    df = images(per_group=1)
    caplog.set_level("INFO")
    folds = make_folds(df, folds=3, repeats=1, seed=0)
    assert "StratifiedKFold" in caplog.text and "StratifiedGroupKFold" not in caplog.text
    assert len(folds) == 3 * len(df)


def test_leakage_detected():
    folds = make_folds(images(), folds=3, repeats=1, seed=0)
    bad = folds.copy()
    first_test = bad[(bad.fold == 0) & (bad.role == "test")].index[0]
    first_train = bad[(bad.fold == 0) & (bad.role == "train")].index[0]
    bad.loc[first_test, "sha256"] = bad.loc[first_train, "sha256"]
    with pytest.raises(LeakageError, match="sha256"):
        check_no_leakage(bad)


def test_too_few_groups_after_faces_is_a_clear_error():
    with pytest.raises(DataError, match="'neutral' has 2"):
        make_folds(images(n_groups_per_class=(10, 6, 2)), folds=3, repeats=1, seed=0)


def test_fold_indices_follow_array_order():
    df = images()
    folds = make_folds(df, folds=3, repeats=1, seed=0)
    ids = df["id"].to_numpy()[::-1]
    train, test = fold_indices(folds, ids, 0, 1)
    assert set(ids[test]) == set(folds[(folds.fold == 1) & (folds.role == "test")]["id"])
    assert not set(train) & set(test) and len(train) + len(test) == len(ids)


def test_identical_crops_from_different_files_share_a_group():
    df = images(per_group=1)
    df["crop_sha256"] = [f"crop{i}" for i in range(len(df))]
    df.loc[df.index[1], "crop_sha256"] = df.loc[df.index[0], "crop_sha256"]  # same face, other file
    folds = make_folds(df, folds=3, repeats=2, seed=0)
    for _, table in folds.groupby(["repeat", "fold"]):
        roles = table.set_index("id").loc[[df["id"][0], df["id"][1]], "role"]
        assert roles.nunique() == 1


def test_a_class_lost_at_the_faces_stage_is_an_error():
    df = images()
    with pytest.raises(DataError, match=r"\['sleepy'\] lost every image.*on_no_face"):
        make_folds(df, folds=3, repeats=1, seed=0, expected_classes=["cry", "laugh", "neutral", "sleepy"])
    with pytest.raises(DataError, match="1 class"):
        make_folds(df[df.label == "cry"], folds=3, repeats=1, seed=0)


@pytest.mark.parametrize("grouped", [True, False])
def test_one_repeat_alone_is_that_repeat_of_the_whole_table(grouped):
    """The workflow splits each repeat in its own job: repeat 2 made alone must equal repeat 2 of a
    3-repeat table (and so not change when repeats are added)."""
    df = images(per_group=3 if grouped else 1)
    whole = make_folds(df, folds=3, repeats=3, seed=4)
    for repeat in range(3):
        alone = make_folds(df, folds=3, repeats=[repeat], seed=4)
        expected = whole[whole["repeat"] == repeat].reset_index(drop=True)
        pd.testing.assert_frame_equal(alone, expected)


def test_part_all_needs_no_folds_and_a_fold_does():
    from infantfer.split import part_indices

    ids = np.array(["a", "b", "c"])
    train, test = part_indices(None, ids, "all")
    assert train.tolist() == [0, 1, 2] and test.size == 0
    with pytest.raises(DataError, match="r0_f1 needs its repeat's folds table"):
        part_indices(None, ids, "r0_f1")


def _smooth_faces(n, size=32, seed=0):
    """Distinct smooth images (random 6 x 6 grids upsampled): stand-ins for face crops."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    return np.stack([np.asarray(Image.fromarray(rng.integers(0, 256, (6, 6), dtype=np.uint8)).resize(
        (size, size), Image.BICUBIC)) for _ in range(n)])


def _resized(img, factor):
    from PIL import Image

    side = img.shape[0]
    small = Image.fromarray(img).resize((int(side * factor),) * 2, Image.BILINEAR)
    return np.asarray(small.resize((side, side), Image.BILINEAR))


def _recropped(img, border):
    from PIL import Image

    side = img.shape[0]
    return np.asarray(Image.fromarray(img[border:side - border, border:side - border]).resize((side, side), Image.BILINEAR))


def test_resized_and_recropped_copies_are_near_duplicates_and_distinct_faces_are_not():
    from infantfer.split import near_duplicate_pairs

    x = _smooth_faces(30)
    copies = np.stack([_resized(x[0], 0.7), _recropped(x[1], 1), np.clip(x[2].astype(int) * 1.1 + 8, 0, 255).astype(np.uint8)])
    everything = np.concatenate([x, copies])
    groups = np.array([f"g{i}" for i in range(len(everything))])
    pairs = near_duplicate_pairs(everything, groups, 0.96)
    found = {tuple(sorted(p)) for p in pairs[["a", "b"]].itertuples(index=False)}
    assert found == {(0, 30), (1, 31), (2, 32)}, pairs
    assert (pairs["correlation"] >= 0.96).all()
    # within one group a copy is no news: the grouped split keeps it together already
    groups[30] = groups[0]
    assert (0, 30) not in {tuple(sorted(p)) for p in near_duplicate_pairs(everything, groups, 0.96)[["a", "b"]].itertuples(index=False)}


def test_near_duplicates_are_warned_or_merged_as_asked(caplog):
    from infantfer.split import handle_near_duplicates

    x = _smooth_faces(12, seed=3)
    x = np.concatenate([x, [_resized(x[4], 0.7)], np.zeros((1, 32, 32), np.uint8)])  # and a flat crop
    groups = [f"baby{i}" for i in range(len(x))]
    names = [f"img{i}.png" for i in range(len(x))]
    caplog.set_level("WARNING")
    kept = handle_near_duplicates(x, groups, "warn", 0.96, names=names)
    assert list(kept) == groups
    assert "1 pair(s) of face crops from different groups" in caplog.text and "img4.png ~ img12.png" in caplog.text
    assert "split.near_duplicates: merge" in caplog.text
    merged = handle_near_duplicates(x, groups, "merge", 0.96, names=names)
    assert merged[12] == merged[4] == "baby12" or merged[12] == merged[4] == "baby4"
    assert len(set(merged)) == len(groups) - 1
    caplog.clear()
    assert list(handle_near_duplicates(x, groups, "ignore", 0.96)) == groups and not caplog.text


def test_merged_near_duplicates_never_straddle_a_fold():
    from infantfer.split import handle_near_duplicates

    x = _smooth_faces(24, seed=5)
    x[20:] = [_resized(x[i], 0.7) for i in range(4)]  # copies of images 0-3 under new groups
    df = pd.DataFrame({"id": [f"i{i}" for i in range(24)], "label": ["cry", "laugh"] * 12,
                       "group": [f"g{i}" for i in range(24)], "sha256": [f"s{i}" for i in range(24)]})
    df.loc[20:, "label"] = df.loc[:3, "label"].to_numpy()
    df["group"] = handle_near_duplicates(x, df["group"], "merge", 0.96)
    folds = make_folds(df, folds=3, repeats=2, seed=0)
    for (_, _), table in folds.groupby(["repeat", "fold"]):
        side = dict(zip(table["id"], table["role"]))
        assert all(side[f"i{i}"] == side[f"i{20 + i}"] for i in range(4))
