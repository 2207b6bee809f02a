"""The evaluation's classifiers by name: F1AdaBoost (the thesis' method) and its variants, sklearn's
SAMME AdaBoost (the ablation) and a stratified chance classifier (the floor)."""

from __future__ import annotations

from sklearn.dummy import DummyClassifier
from sklearn.ensemble import AdaBoostClassifier
from sklearn.tree import DecisionTreeClassifier

from .boosting import F1AdaBoostClassifier
from .method import CHANCE_CLASSIFIER, METHOD_CLASSIFIER

__all__ = ["make_classifier"]

_KINDS = (METHOD_CLASSIFIER, "samme", CHANCE_CLASSIFIER)
_SPEC_KEYS = {
    "kind",
    "n_estimators",
    "max_depth",
    "min_samples_leaf",
    "learning_rate",
    "alpha_from",
    "class_factor",
}


def make_classifier(name: str, spec: dict, random_state: int):
    """Unfitted classifier for the evaluation stage.

    Parameters
    ----------
    name : str
        ``f1_adaboost``, ``samme`` or ``chance``, or the name of a variant (any other
        string), which is an ``F1AdaBoostClassifier`` unless ``spec["kind"]`` says otherwise.
    spec : dict
        ``n_estimators``, ``max_depth``, ``learning_rate`` (and optionally
        ``min_samples_leaf``) for the boosted kinds; optional ``kind`` (one of the three
        names above, default: ``name`` if it is one of them, else ``f1_adaboost``);
        ``alpha_from`` / ``class_factor`` ("f1" by default), only for ``f1_adaboost``.
        Unknown keys raise ValueError, so a typo in a config is not silently ignored.
    random_state : int
        Seed of the classifier.

    Returns
    -------
    ``F1AdaBoostClassifier`` (f1_adaboost), sklearn's SAMME ``AdaBoostClassifier`` over
    ``DecisionTreeClassifier(max_depth)`` (samme), or
    ``DummyClassifier(strategy="stratified")`` (chance, ignores the boosting keys).

    Examples
    --------
    >>> spec = {"n_estimators": 50, "max_depth": 3, "learning_rate": 1.0}
    >>> make_classifier(METHOD_CLASSIFIER, spec, 0)
    F1AdaBoostClassifier(random_state=0)
    >>> make_classifier("alpha_err", {**spec, "alpha_from": "error"}, 0)
    F1AdaBoostClassifier(alpha_from='error', random_state=0)
    """
    spec = dict(spec)
    kind = _kind(name, spec)
    if kind == CHANCE_CLASSIFIER:
        return DummyClassifier(strategy="stratified", random_state=random_state)
    return _boosted(name, kind, spec, random_state)


def _kind(name: str, spec: dict) -> str:
    """The spec's kind, popped from ``spec`` once its keys are checked."""
    unknown = set(spec) - _SPEC_KEYS
    if unknown:
        raise ValueError(f"classifier {name!r}: unknown spec keys {sorted(unknown)}")
    kind = spec.pop("kind", name if name in _KINDS else METHOD_CLASSIFIER)
    if kind not in _KINDS:
        raise ValueError(f"classifier {name!r}: kind must be one of {_KINDS}, got {kind!r}")
    return kind


def _boosted(name: str, kind: str, spec: dict, random_state: int):
    """samme or f1_adaboost over CART trees of the spec's depth, rounds and learning rate."""
    # Defaults are F1AdaBoostClassifier's, for both boosted kinds alike.
    tree_params = {"max_depth": spec.get("max_depth", 3)}
    if "min_samples_leaf" in spec:
        tree_params["min_samples_leaf"] = spec["min_samples_leaf"]
    boost_params = {
        key: spec[key] for key in ("n_estimators", "learning_rate") if key in spec
    }
    if kind == "samme":
        extra = {"alpha_from", "class_factor"} & set(spec)
        if extra:
            raise ValueError(f"classifier {name!r}: samme takes no {sorted(extra)}")
        return AdaBoostClassifier(
            estimator=DecisionTreeClassifier(**tree_params),
            random_state=random_state,
            **boost_params,
        )
    return F1AdaBoostClassifier(
        alpha_from=spec.get("alpha_from", "f1"),
        class_factor=spec.get("class_factor", "f1"),
        random_state=random_state,
        **tree_params,
        **boost_params,
    )
