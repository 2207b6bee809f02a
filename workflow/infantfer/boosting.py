"""F1-driven AdaBoost over CART trees (``F1AdaBoostClassifier``).

The thesis (Wu Tong, UKM 2025) drives AdaBoost's learner weights and sample reweighting by the
F1 score but gives no equations; the form below is ours. It generalises multi-class SAMME (it is
SAMME exactly with ``alpha_from="error", class_factor="none"``) and borrows the per-class
F-measure loss factor of Soleymani et al.

Algorithm (K classes, n training samples, D_1 = the normalised sample weights)::

    for t = 1..T:
        h_t   = CART tree fitted on (X, y) with sample weights D_t
        C_t   = confusion matrix of h_t on the training data, weighted by D_t
                (C_t[k, j] = sum of D_t(i) over samples with y_i = k, h_t(x_i) = j)
        F_t,k = 2 C_t[k, k] / (sum_j C_t[k, j] + sum_j C_t[j, k])   (0 if the denominator is 0)
        F_t   = mean_k F_t,k                    (the weighted macro F1)
        if h_t makes no weighted error (F_t = 1): keep h_t with alpha_t = 1 and stop
        if F_t <= 1/K: discard h_t and stop     (no better than chance, as SAMME's err >= 1 - 1/K)
        alpha_t = lr * (ln(F_t / (1 - F_t)) + ln(K - 1))
        c_t,k   = (1 - F_t,k) / max_j (1 - F_t,j)                (in [0, 1], the worst class gets 1)
        D_t+1(i) proportional to D_t(i) * exp(alpha_t * [h_t(x_i) != y_i] * c_t,y_i)

    H(x) = argmax_k sum_t alpha_t [h_t(x) = k]

``alpha_from="error"`` uses the weighted accuracy 1 - err_t in place of F_t (so
alpha_t = lr * (ln((1 - err_t) / err_t) + ln(K - 1)) and the stop rules are SAMME's);
``class_factor="none"`` sets every c_t,k = 1.  ``decision_function`` and ``predict_proba``
are SAMME's (Zhu et al. eq. 15), computed as scikit-learn's ``AdaBoostClassifier`` does.

Sources (Zhu et al. 2009; Soleymani et al. 2016) and the design: docs/design/f1_adaboost.md.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import softmax
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    _num_samples,
    check_is_fitted,
    validate_data,
)

from .schema import defaults

_EVALUATE = defaults("evaluate")  # the estimator's defaults: the schema's evaluate section

__all__ = ["F1AdaBoostClassifier", "weighted_f1"]

# Trees see float32 features whatever the input dtype (sklearn's trees convert too), so
# validating and converting once in fit/predict gives the very trees sklearn would build.
_DTYPE = np.float32


def weighted_f1(y, pred, weight, n_classes):
    """Weighted macro F1 and per-class F1 of integer-coded predictions.

    Equals ``f1_score(y, pred, average="macro", sample_weight=weight)`` (and
    ``average=None``) when every class in ``range(n_classes)`` occurs in ``y``; built from
    one ``np.bincount`` because sklearn.metrics' input checks cost more than a small tree.

    Parameters
    ----------
    y, pred : int arrays of shape (n,) with values in ``range(n_classes)``.
    weight : float array of shape (n,).
    n_classes : int.

    Returns
    -------
    macro : float
    per_class : ndarray of shape (n_classes,)
    """
    y = np.asarray(y, dtype=np.intp)
    pred = np.asarray(pred, dtype=np.intp)
    weight = np.asarray(weight, dtype=np.float64)
    return _f1_from_offsets(y * n_classes, pred, weight, n_classes)


class F1AdaBoostClassifier(ClassifierMixin, BaseEstimator):
    """AdaBoost over CART whose learner weights and reweighting follow the F1 score.

    See the module docstring for the equations.  With ``alpha_from="error"`` and
    ``class_factor="none"`` it is exactly scikit-learn's SAMME
    ``AdaBoostClassifier(DecisionTreeClassifier(max_depth=max_depth), ...)``.

    Parameters
    ----------
    n_estimators : int, default=50
        Maximum boosting rounds (fewer on a perfect fit or a no-better-than-chance tree).
    max_depth : int, default=3
        Depth of each CART tree.
    min_samples_leaf : int, default=1
        Minimum samples per tree leaf.
    learning_rate : float, default=1.0
        Shrinkage ``lr`` of each learner weight.
    alpha_from : {"f1", "error"}, default="f1"
        Round score driving alpha_t and the stop rules: weighted macro F1, or weighted
        accuracy (SAMME).
    class_factor : {"f1", "none"}, default="f1"
        Per-class loss factor c_t,k = (1 - F_t,k) / max_j (1 - F_t,j), or 1 for all classes.
    random_state : int, RandomState instance or None, default=None
        Seeds the trees, drawn exactly as ``AdaBoostClassifier`` draws them.

    Attributes
    ----------
    estimators_ : list of DecisionTreeClassifier
        The kept trees.  They were fitted on the class *indices* 0..K-1 (``classes_`` order),
        so their own ``predict`` returns indices.
    estimator_weights_ : ndarray of shape (n_estimators,)
        alpha_t per round; 0 for rounds not run (as ``AdaBoostClassifier``).
    estimator_scores_ : ndarray of shape (n_estimators,)
        F_t per round (1 - err_t with ``alpha_from="error"``); 0 for rounds not run.
    estimator_class_factors_ : ndarray of shape (n_estimators, n_classes)
        c_t,k used in each round's reweighting; 0 for rounds without a reweighting.
    classes_ : ndarray of shape (n_classes,)
    n_classes_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when X has string feature names.
    """

    _parameter_constraints: dict = {
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "max_depth": [Interval(Integral, 1, None, closed="left")],
        "min_samples_leaf": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "alpha_from": [StrOptions({"f1", "error"})],
        "class_factor": [StrOptions({"f1", "none"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_estimators=_EVALUATE["n_estimators"],
        max_depth=_EVALUATE["max_depth"],
        min_samples_leaf=1,
        learning_rate=_EVALUATE["learning_rate"],
        alpha_from="f1",
        class_factor="f1",
        random_state=None,
    ):
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.learning_rate = learning_rate
        self.alpha_from = alpha_from
        self.class_factor = class_factor
        self.random_state = random_state

    # Nested validation is skipped: the trees' parameters come from ours, already validated,
    # and re-validating them every round would cost as much as fitting a small tree.
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Build the boosted ensemble from (X, y), optionally with sample weights."""
        X, y_enc, sample_weight = self._start_fit(X, y, sample_weight)
        random_state = check_random_state(self.random_state)
        epsilon = np.finfo(sample_weight.dtype).eps
        zero_weight_mask = sample_weight == 0.0
        y_times_k = y_enc * self.n_classes_

        for iboost in range(self.n_estimators):
            # Same clipping as sklearn (issue #20320), keeping original zeros at zero.
            sample_weight = np.clip(sample_weight, a_min=epsilon, a_max=None)
            sample_weight[zero_weight_mask] = 0.0
            learned = self._boost(iboost, X, y_enc, y_times_k, sample_weight, random_state)
            if learned is None:
                break
            sample_weight = self._reweight(iboost, sample_weight, y_enc, *learned)
            if sample_weight is None:
                break

        return self

    def _start_fit(self, X, y, sample_weight):
        """Validated X, y as class indices, the normalised sample weights; the learned arrays zeroed."""
        X, y = validate_data(self, X, y, dtype=_DTYPE)
        check_classification_targets(y)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        y_enc = y_enc.astype(np.intp, copy=False)
        n_classes = self.n_classes_ = len(self.classes_)

        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, copy=True, ensure_non_negative=True
        )
        sample_weight /= sample_weight.sum()

        T = self.n_estimators
        self.estimators_ = []
        self.estimator_weights_ = np.zeros(T, dtype=np.float64)
        self.estimator_scores_ = np.zeros(T, dtype=np.float64)
        self.estimator_class_factors_ = np.zeros((T, n_classes), dtype=np.float64)
        return X, y_enc, sample_weight

    def _boost(self, iboost, X, y_enc, y_times_k, sample_weight, random_state):
        """One round: fit a tree, score it, record alpha_t and F_t. Returns (alpha, incorrect,
        per-class F1) for the reweighting, or None when boosting stops here."""
        n_classes = self.n_classes_
        use_f1 = self.alpha_from == "f1"
        use_class_factor = self.class_factor == "f1"
        # One randint per round, as sklearn's _set_random_states does for a tree.
        tree = DecisionTreeClassifier(
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            random_state=random_state.randint(np.iinfo(np.int32).max),
        )
        tree.fit(X, y_enc, sample_weight=sample_weight, check_input=False)
        self.estimators_.append(tree)
        pred = tree.predict(X, check_input=False)
        incorrect = pred != y_enc

        # Computed exactly as sklearn does, so the SAMME reduction is bit-for-bit.
        error = np.mean(np.average(incorrect, weights=sample_weight, axis=0))
        f1_class = None
        if use_f1 or use_class_factor:
            f1_macro, f1_class = _f1_from_offsets(y_times_k, pred, sample_weight, n_classes)
        score = f1_macro if use_f1 else 1.0 - error
        # In error mode alpha and the chance test are written in err, as sklearn writes
        # them: 1 - (1 - err) is not always err in floating point.
        loss = (1.0 - f1_macro) if use_f1 else error
        chance = score <= 1.0 / n_classes if use_f1 else error >= 1.0 - 1.0 / n_classes

        # Zero weighted error is the perfect fit (F_t = 1).  Tested on the error too because
        # a class whose weight is all zero scores F1 = 0 by f1_score's convention; and on
        # F_t because a tiny but nonzero error can round F_t to 1 (infinite alpha).
        if error <= 0 or (use_f1 and score >= 1.0):
            self.estimator_weights_[iboost] = 1.0
            self.estimator_scores_[iboost] = 1.0
            return None

        if chance:
            self.estimators_.pop()
            if not self.estimators_:
                raise ValueError(
                    "The first tree of F1AdaBoostClassifier is no better than chance "
                    f"(score {score:.4g} <= 1/n_classes); the ensemble can not be fit."
                )
            return None

        alpha = self.learning_rate * (
            np.log(score / loss) + np.log(n_classes - 1.0)
        )
        self.estimator_weights_[iboost] = alpha
        self.estimator_scores_[iboost] = score

        if iboost == self.n_estimators - 1:
            return None  # the weights would never be used again
        return alpha, incorrect, f1_class

    def _reweight(self, iboost, sample_weight, y_enc, alpha, incorrect, f1_class):
        """D_t+1 from D_t, normalised; None when the weights overflow or vanish (boosting stops)."""
        n_classes = self.n_classes_
        step = alpha * incorrect
        if self.class_factor == "f1":
            class_loss = 1.0 - f1_class
            worst = class_loss.max()
            factors = class_loss / worst if worst > 0 else np.ones(n_classes)
            step = step * factors[y_enc]
        else:
            factors = np.ones(n_classes)
        self.estimator_class_factors_[iboost] = factors
        # exp(log(D) + ...) rather than D * exp(...): sklearn's form, so that weights and
        # hence tree split ties are identical in the SAMME reduction.
        with np.errstate(divide="ignore"):
            sample_weight = np.exp(np.log(sample_weight) + step * (sample_weight > 0))

        sample_weight_sum = np.sum(sample_weight)
        if not np.isfinite(sample_weight_sum):
            warnings.warn(
                "Sample weights have reached infinite values, at iteration "
                f"{iboost}, causing overflow. Iterations stopped. Try lowering the "
                "learning rate.",
                stacklevel=3,  # fit's caller, as when this was written inline in fit
            )
            return None
        if sample_weight_sum <= 0:
            return None
        sample_weight /= sample_weight_sum
        return sample_weight

    def _check_X(self, X):
        return validate_data(self, X, dtype=_DTYPE, reset=False)

    def decision_function(self, X):
        """SAMME decision function, normalised by the sum of learner weights.

        Shape (n_samples,) for two classes (positive favours ``classes_[1]``), else
        (n_samples, n_classes).
        """
        check_is_fitted(self)
        X = self._check_X(X)
        n_classes = self.n_classes_
        if n_classes == 1:
            return np.zeros_like(X, shape=(X.shape[0], 1), dtype=np.float64)
        class_index = np.arange(n_classes)[:, np.newaxis]
        # Same expression and summation order as sklearn's AdaBoostClassifier.
        pred = sum(
            np.where(
                (tree.predict(X, check_input=False) == class_index).T,
                w,
                -1 / (n_classes - 1) * w,
            )
            for tree, w in zip(self.estimators_, self.estimator_weights_)
        )
        pred /= self.estimator_weights_.sum()
        if n_classes == 2:
            pred[:, 0] *= -1
            return pred.sum(axis=1)
        return pred

    def predict(self, X):
        """Class with the largest weighted vote."""
        pred = self.decision_function(X)
        if self.n_classes_ == 2:
            return self.classes_.take(pred > 0, axis=0)
        return self.classes_.take(np.argmax(pred, axis=1), axis=0)

    def predict_proba(self, X):
        """softmax(decision / (K - 1)), as sklearn's SAMME (Zhu et al. 2009, eq. 15)."""
        check_is_fitted(self)
        n_classes = self.n_classes_
        if n_classes == 1:
            return np.ones((_num_samples(X), 1))
        decision = self.decision_function(X)
        if n_classes == 2:
            decision = np.vstack([-decision, decision]).T / 2
        else:
            decision /= n_classes - 1
        return softmax(decision, copy=False)

    def predict_log_proba(self, X):
        """Log of ``predict_proba``."""
        return np.log(self.predict_proba(X))


def _f1_from_offsets(y_times_k, pred, weight, n_classes):
    """``weighted_f1`` with ``y * n_classes`` precomputed (the fit loop's hot path)."""
    k = n_classes
    cm = np.bincount(y_times_k + pred, weights=weight, minlength=k * k).reshape(k, k)
    tp = np.diagonal(cm)
    denom = cm.sum(axis=1) + cm.sum(axis=0)
    per_class = np.zeros(k)
    # f1_score's zero_division: a class neither present (by weight) nor predicted scores 0.
    np.divide(2.0 * tp, denom, out=per_class, where=denom > 0)
    return float(per_class.mean()), per_class
