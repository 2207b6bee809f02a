"""Tests of infantfer.boosting: SAMME reduction, F1 bookkeeping, stop rules, sklearn API."""

import numpy as np
import pytest
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris, make_classification
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import AdaBoostClassifier
from sklearn.metrics import f1_score
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from infantfer.boosting import F1AdaBoostClassifier, weighted_f1
from infantfer.classifiers import make_classifier


def _imbalanced_digits():
    X, y = load_digits(return_X_y=True)
    keep = np.concatenate(
        [np.flatnonzero(y == c)[: 180 if c < 5 else 20] for c in range(10)]
    )
    return X[keep], y[keep]


@pytest.fixture(scope="module")
def digits():
    return _imbalanced_digits()


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def _noisy(seed=0, n_classes=2):
    # Depth-1 stumps on label noise: F1 boosting runs until a stump is no better than chance.
    return make_classification(
        n_samples=60, n_features=4, n_informative=2, n_redundant=0,
        n_classes=n_classes, n_clusters_per_class=1, flip_y=0.3, random_state=seed,
    )


# --- SAMME reduction -------------------------------------------------------------------


def _assert_same_as_samme(X, y, random_state, n_estimators, max_depth, lr=1.0, sw=None):
    ref = AdaBoostClassifier(
        estimator=DecisionTreeClassifier(max_depth=max_depth),
        n_estimators=n_estimators, learning_rate=lr, random_state=random_state,
    ).fit(X, y, sample_weight=sw)
    ours = F1AdaBoostClassifier(
        n_estimators=n_estimators, max_depth=max_depth, learning_rate=lr,
        alpha_from="error", class_factor="none", random_state=random_state,
    ).fit(X, y, sample_weight=sw)

    assert len(ours.estimators_) == len(ref.estimators_)
    np.testing.assert_allclose(ours.estimator_weights_, ref.estimator_weights_, rtol=1e-12)
    np.testing.assert_allclose(1.0 - ours.estimator_scores_, ref.estimator_errors_, atol=1e-12)
    for a, b in zip(ours.estimators_, ref.estimators_):
        assert a.random_state == b.random_state  # seeds drawn as sklearn draws them
        np.testing.assert_array_equal(a.tree_.feature, b.tree_.feature)
        np.testing.assert_array_equal(a.tree_.threshold, b.tree_.threshold)
    np.testing.assert_array_equal(ours.classes_, ref.classes_)
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))
    np.testing.assert_allclose(ours.decision_function(X), ref.decision_function(X), atol=1e-12)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-12)
    return ours, ref


@pytest.mark.parametrize("random_state", [0, 1, 7])
def test_error_mode_without_class_factor_is_sklearn_samme_iris(iris, random_state):
    _assert_same_as_samme(*iris, random_state, n_estimators=30, max_depth=2)


@pytest.mark.parametrize("random_state", [0, 3])
def test_error_mode_without_class_factor_is_sklearn_samme_digits(digits, random_state):
    _assert_same_as_samme(*digits, random_state, n_estimators=25, max_depth=3)


@pytest.mark.filterwarnings("ignore:divide by zero encountered in log")  # sklearn's log(0)
def test_samme_reduction_with_sample_weight_lr_and_string_labels(iris):
    X, y = iris
    labels = np.array(["cry", "laugh", "neutral"])[y]
    sw = np.random.RandomState(0).uniform(0, 2, size=len(y))
    sw[:5] = 0.0  # zero weights stay zero, as in sklearn
    _assert_same_as_samme(X, labels, 0, n_estimators=20, max_depth=1, lr=0.5, sw=sw)


def test_samme_reduction_binary_and_early_discard():
    X, y = _noisy(0, 2)
    ours, ref = _assert_same_as_samme(X, y, 0, n_estimators=40, max_depth=1)
    assert ours.decision_function(X).shape == (len(y),)  # K == 2: 1-D like sklearn


# --- F1 bookkeeping --------------------------------------------------------------------


@pytest.mark.parametrize("n_classes", [2, 3, 6])
def test_weighted_f1_equals_sklearn_f1_score(n_classes):
    rng = np.random.RandomState(n_classes)
    y = rng.randint(n_classes, size=200)
    y[:n_classes] = np.arange(n_classes)
    pred = np.where(rng.rand(200) < 0.6, y, rng.randint(n_classes, size=200))
    pred[pred == n_classes - 1] = 0  # one class never predicted
    w = rng.exponential(size=200)
    macro, per_class = weighted_f1(y, pred, w, n_classes)
    assert macro == pytest.approx(f1_score(y, pred, average="macro", sample_weight=w), abs=1e-14)
    np.testing.assert_allclose(
        per_class, f1_score(y, pred, average=None, sample_weight=w), atol=1e-14
    )
    # A class with zero weight that is never predicted scores 0 (f1_score's zero_division).
    w0 = np.where(y == n_classes - 1, 0.0, w)
    macro0, per_class0 = weighted_f1(y, pred, w0, n_classes)
    expected = f1_score(y, pred, average=None, sample_weight=w0, zero_division=0.0)
    np.testing.assert_allclose(per_class0, expected, atol=1e-14)
    assert per_class0[-1] == 0.0 and macro0 == pytest.approx(expected.mean(), abs=1e-14)


def _replay(clf, X, y, random_state):
    """Recompute every round with sklearn.metrics.f1_score, independently of the fit loop.

    Returns the per-round (D_t, tree seed) including the first round that was not kept.
    """
    classes, y_enc = np.unique(y, return_inverse=True)
    K = len(classes)
    rng = np.random.RandomState(random_state)
    D = np.full(len(y), 1.0 / len(y))
    eps = np.finfo(float).eps
    for t, tree in enumerate(clf.estimators_):
        D = np.clip(D, eps, None)
        seed = rng.randint(np.iinfo(np.int32).max)
        assert tree.random_state == seed
        pred = tree.predict(X.astype(np.float32))
        F = f1_score(y_enc, pred, average="macro", sample_weight=D)
        F_k = f1_score(y_enc, pred, average=None, sample_weight=D)
        assert clf.estimator_scores_[t] == pytest.approx(F, abs=1e-12)
        alpha = np.log(F / (1 - F)) + np.log(K - 1)
        assert clf.estimator_weights_[t] == pytest.approx(alpha, rel=1e-9, abs=1e-12)
        c = (1 - F_k) / np.max(1 - F_k)
        if t < clf.n_estimators - 1:  # the last possible round does no reweighting
            np.testing.assert_allclose(clf.estimator_class_factors_[t], c, atol=1e-12)
        D = D * np.exp(alpha * (pred != y_enc) * c[y_enc])
        D /= D.sum()
    D = np.clip(D, eps, None)
    return D, rng.randint(np.iinfo(np.int32).max)


# Draws (fixed) on which F1 boosting stops early by discarding a chance-level stump.
@pytest.mark.parametrize("seed,n_classes", [(0, 2), (1, 2), (1, 3), (3, 3)])
def test_rounds_follow_f1_equations_and_discard_at_chance(seed, n_classes):
    X, y = _noisy(seed, n_classes)
    T = 40
    clf = F1AdaBoostClassifier(n_estimators=T, max_depth=1, random_state=0).fit(X, y)
    n_kept = len(clf.estimators_)
    D, next_seed = _replay(clf, X, y, random_state=0)
    assert 1 < n_kept < T and clf.estimator_scores_[n_kept - 1] < 1  # not a perfect fit
    # The next round's tree was fitted, scored F <= 1/K and discarded; rounds after it unused.
    tree = DecisionTreeClassifier(max_depth=1, random_state=next_seed)
    tree.fit(X.astype(np.float32), np.unique(y, return_inverse=True)[1], sample_weight=D)
    F = f1_score(np.unique(y, return_inverse=True)[1], tree.predict(X.astype(np.float32)),
                 average="macro", sample_weight=D)
    assert F <= 1.0 / n_classes + 1e-12
    assert np.all(clf.estimator_weights_[n_kept:] == 0)
    assert np.all(clf.estimator_scores_[n_kept:] == 0)


def test_first_tree_at_chance_raises():
    # Constant features: the tree predicts the majority class, macro F1 = 1/3 <= 1/2.
    X = np.zeros((20, 3))
    y = np.array([0] * 10 + [1] * 10)
    with pytest.raises(ValueError, match="no better than chance"):
        F1AdaBoostClassifier(n_estimators=5).fit(X, y)


@pytest.mark.parametrize("alpha_from", ["f1", "error"])
@pytest.mark.parametrize("class_factor", ["f1", "none"])
def test_perfect_fit_keeps_tree_with_weight_one_and_stops(alpha_from, class_factor):
    X = np.arange(30, dtype=float).reshape(-1, 1)
    y = np.repeat(["a", "b", "c"], 10)
    clf = F1AdaBoostClassifier(
        n_estimators=10, max_depth=3, alpha_from=alpha_from, class_factor=class_factor
    ).fit(X, y)
    assert len(clf.estimators_) == 1
    assert clf.estimator_weights_[0] == 1.0 and clf.estimator_scores_[0] == 1.0
    assert np.all(clf.estimator_weights_[1:] == 0)
    np.testing.assert_array_equal(clf.predict(X), y)


def test_class_factors_in_unit_interval_with_max_one(digits):
    X, y = digits
    clf = F1AdaBoostClassifier(n_estimators=15, random_state=0).fit(X, y)
    used = clf.estimator_class_factors_[: len(clf.estimators_) - 1]  # last round: no update
    assert used.shape == (14, 10)
    assert np.all((used >= 0) & (used <= 1))
    np.testing.assert_allclose(used.max(axis=1), 1.0)
    assert np.all(used.min(axis=1) < 1)  # the factor does differentiate classes
    # The first round sees uniform weights: its F_1 is the plain macro F1 on the training set.
    first = clf.classes_[clf.estimators_[0].predict(X.astype(np.float32))]
    assert clf.estimator_scores_[0] == pytest.approx(f1_score(y, first, average="macro"))
    no_cf = F1AdaBoostClassifier(n_estimators=5, class_factor="none", random_state=0).fit(X, y)
    np.testing.assert_array_equal(no_cf.estimator_class_factors_[:4], 1.0)


def test_f1_mode_differs_from_samme(digits):
    X, y = digits
    f1 = F1AdaBoostClassifier(n_estimators=10, random_state=0).fit(X, y)
    samme = F1AdaBoostClassifier(
        n_estimators=10, alpha_from="error", class_factor="none", random_state=0
    ).fit(X, y)
    assert not np.allclose(f1.estimator_weights_, samme.estimator_weights_)


# --- API behaviour ---------------------------------------------------------------------


def test_deterministic_with_fixed_random_state(digits):
    X, y = digits
    a = F1AdaBoostClassifier(n_estimators=10, random_state=3).fit(X, y)
    b = clone(a).fit(X, y)
    np.testing.assert_array_equal(a.estimator_weights_, b.estimator_weights_)
    np.testing.assert_array_equal(a.estimator_scores_, b.estimator_scores_)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


@pytest.mark.parametrize("n_classes", [2, 3])
def test_predict_proba_rows_sum_to_one_and_agree_with_predict(n_classes):
    X, y = make_classification(
        n_samples=120, n_features=6, n_informative=4, n_classes=n_classes, random_state=0
    )
    clf = F1AdaBoostClassifier(n_estimators=10, random_state=0).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (120, n_classes)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba)
    decision = clf.decision_function(X)
    assert decision.shape == ((120,) if n_classes == 2 else (120, n_classes))


def test_attributes(iris):
    X, y = iris
    clf = F1AdaBoostClassifier(n_estimators=4, random_state=0).fit(X, y)
    assert clf.n_classes_ == 3 and clf.n_features_in_ == 4
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.estimator_weights_.shape == clf.estimator_scores_.shape == (4,)
    assert clf.estimator_class_factors_.shape == (4, 3)


def test_in_imblearn_pipeline_with_smote(digits):
    X, y = digits
    pipe = Pipeline([
        ("s", SMOTE(random_state=0)),
        ("clf", F1AdaBoostClassifier(n_estimators=8, random_state=0)),
    ])
    pipe.fit(X, y)
    pred = pipe.predict(X)
    assert pred.shape == y.shape and set(pred) <= set(y)
    assert f1_score(y, pred, average="macro") > 0.6
    assert pipe.predict_proba(X[:5]).shape == (5, 10)
    assert pipe.set_params(clf__learning_rate=0.5).named_steps["clf"].learning_rate == 0.5


# --- factory ---------------------------------------------------------------------------

SPEC = {"n_estimators": 7, "max_depth": 2, "learning_rate": 0.5}


def test_make_classifier_builtins():
    f1 = make_classifier("f1_adaboost", SPEC, 4)
    assert isinstance(f1, F1AdaBoostClassifier)
    assert f1.get_params() == {
        "n_estimators": 7, "max_depth": 2, "min_samples_leaf": 1, "learning_rate": 0.5,
        "alpha_from": "f1", "class_factor": "f1", "random_state": 4,
    }
    samme = make_classifier("samme", SPEC, 4)
    assert isinstance(samme, AdaBoostClassifier)
    assert (samme.n_estimators, samme.learning_rate, samme.random_state) == (7, 0.5, 4)
    assert samme.estimator.max_depth == 2
    chance = make_classifier("chance", SPEC, 4)
    assert isinstance(chance, DummyClassifier) and chance.strategy == "stratified"
    assert chance.random_state == 4


def test_make_classifier_variants_and_errors():
    v = make_classifier("alpha_err", {**SPEC, "alpha_from": "error"}, 0)
    assert isinstance(v, F1AdaBoostClassifier)
    assert (v.alpha_from, v.class_factor, v.n_estimators) == ("error", "f1", 7)
    v = make_classifier("plain", {**SPEC, "kind": "samme"}, 0)
    assert isinstance(v, AdaBoostClassifier)
    with pytest.raises(ValueError, match="unknown spec keys"):
        make_classifier("f1_adaboost", {**SPEC, "depth": 3}, 0)
    with pytest.raises(ValueError, match="kind"):
        make_classifier("x", {**SPEC, "kind": "svm"}, 0)
    with pytest.raises(ValueError, match="samme takes no"):
        make_classifier("samme", {**SPEC, "class_factor": "none"}, 0)


def test_factory_samme_matches_error_variant(iris):
    X, y = iris
    spec = {"n_estimators": 10, "max_depth": 2, "learning_rate": 1.0}
    a = make_classifier("samme", spec, 0).fit(X, y)
    b = make_classifier(
        "v", {**spec, "alpha_from": "error", "class_factor": "none"}, 0
    ).fit(X, y)
    np.testing.assert_allclose(a.estimator_weights_, b.estimator_weights_, rtol=1e-12)


# --- scikit-learn estimator checks -----------------------------------------------------


@parametrize_with_checks(
    [
        F1AdaBoostClassifier(n_estimators=5),
        F1AdaBoostClassifier(n_estimators=5, alpha_from="error", class_factor="none"),
    ]
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
