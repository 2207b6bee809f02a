"""The tests of one comparison's paired differences, all on the same corrected variance.

The Nadeau-Bengio corrected resampled t-test (Nadeau & Bengio 2003; Bouckaert & Frank 2004) gives
the variance of the mean difference, (1/n + n_test/n_train) s^2, because the folds' training sets
overlap. On it rest: the t-test and its CI (is there a difference?), two one-sided tests (TOST: is
the difference inside the region of practical equivalence, +-rope?), the Bayesian correlated t-test
(Benavoli, Corani, Demsar & Zaffalon, JMLR 2017: the posterior of the difference is a Student t
with n - 1 degrees of freedom, location the mean difference, scale the corrected standard error;
rho / (1 - rho) = n_test/n_train) and the power calculation (the smallest difference detected with
80% power, and how many repeats a given difference needs: with k folds the corrected variance never
falls below s^2 / (k - 1), however many repeats). Holm's adjustment and the level Holm's procedure
uses at each step close the family of one dataset x classifier x metric.

scipy and statsmodels are imported inside the functions, so that jobs that only summarise start fast.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..schema import defaults

POWER = 0.8  # the power the detectable difference is computed for
MAX_REPEATS = 1000  # repeats_needed searches up to this many repeats
ALPHA = defaults("statistics")["alpha"]  # the schema's statistics.alpha: tests' level, 1 - intervals' coverage


def corrected_ttest(differences: Sequence[float] | np.ndarray, test_train_ratio: float,
                    alpha: float = ALPHA) -> dict[str, float]:
    """Nadeau-Bengio corrected resampled t-test of paired differences (NaNs dropped).

    var = (1/n + n_test/n_train) * s^2 (s^2 with ddof=1), t = mean / sqrt(var), df = n - 1,
    two-sided p, (1 - alpha) interval mean +- t_{1-alpha/2, df} * sqrt(var); ``sd`` is s.

    Zero variance (n >= 2, every difference the same): se = 0 and the interval is (mean, mean).
    If that constant difference is 0 there is nothing to test (t and p NaN); otherwise it is the
    limit of the test as the variance goes to 0: t = +-inf, p = 0. n < 2: only n and mean.
    """
    from scipy import stats

    values = np.asarray(differences, dtype=float)
    values = values[~np.isnan(values)]
    n = int(values.size)
    result = dict(n=n, mean=np.nan, sd=np.nan, se=np.nan, t=np.nan, df=np.nan, p=np.nan,
                  ci_low=np.nan, ci_high=np.nan)
    if n == 0:
        return result
    mean = float(values.mean())
    result["mean"] = mean
    if n < 2:
        return result
    df = n - 1
    sd = float(values.std(ddof=1))
    se = float(np.sqrt((1.0 / n + test_train_ratio) * values.var(ddof=1)))
    result.update(sd=sd, se=se, df=float(df))
    if se == 0.0:
        result.update(ci_low=mean, ci_high=mean)
        if mean != 0.0:
            result.update(t=float(np.copysign(np.inf, mean)), p=0.0)
        return result
    t = mean / se
    half_width = float(stats.t.ppf(1.0 - alpha / 2.0, df)) * se
    result.update(t=t, p=float(2.0 * stats.t.sf(abs(t), df)),
                  ci_low=mean - half_width, ci_high=mean + half_width)
    return result


def equivalence_test(mean: float, se: float, df: float, rope: float, alpha: float = ALPHA) -> dict[str, float]:
    """Two one-sided tests (TOST) of |difference| < ``rope`` on the corrected variance.

    p = the larger of the two one-sided p-values (H0: difference <= -rope; H0: difference >= rope);
    equivalence at ``alpha`` exactly when the (1 - 2 alpha) interval, also returned, lies inside
    (-rope, +rope). se = 0: the interval is the point ``mean`` and p is 0 or 1.
    """
    from scipy import stats

    if not (np.isfinite(mean) and np.isfinite(se) and np.isfinite(df)):
        return dict(ci_low=np.nan, ci_high=np.nan, p=np.nan)
    if se == 0.0:
        return dict(ci_low=mean, ci_high=mean, p=0.0 if abs(mean) < rope else 1.0)
    half_width = float(stats.t.ppf(1.0 - alpha, df)) * se
    p_above_low = float(stats.t.sf((mean + rope) / se, df))  # H0: difference <= -rope
    p_below_high = float(stats.t.cdf((mean - rope) / se, df))  # H0: difference >= +rope
    return dict(ci_low=mean - half_width, ci_high=mean + half_width, p=max(p_above_low, p_below_high))


def posterior_probabilities(mean: float, se: float, df: float, rope: float) -> dict[str, float]:
    """The Bayesian correlated t-test's P(difference < -rope), P(|difference| <= rope) and
    P(difference > rope): a Student t posterior with ``df`` degrees of freedom, location ``mean``
    and scale ``se`` (the corrected standard error). se = 0: all the mass at ``mean``."""
    from scipy import stats

    if not (np.isfinite(mean) and np.isfinite(se) and np.isfinite(df)):
        return dict(p_lower=np.nan, p_rope=np.nan, p_higher=np.nan)
    if se == 0.0:
        lower, higher = float(mean < -rope), float(mean > rope)
    else:
        lower = float(stats.t.cdf(-rope, df, loc=mean, scale=se))
        higher = float(stats.t.sf(rope, df, loc=mean, scale=se))
    return dict(p_lower=lower, p_rope=1.0 - lower - higher, p_higher=higher)


def holm_adjust(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values (statsmodels); NaN p-values stay NaN and are not in the family."""
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p_values, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    tested = ~np.isnan(p)
    if tested.sum() == 1:
        # A family of one is its own adjustment; skips statsmodels' Holm, which calls gc.collect()
        # every time (about 0.1 s once pandas and scipy are loaded).
        adjusted[tested] = p[tested]
    elif tested.any():
        adjusted[tested] = multipletests(p[tested], method="holm")[1]
    return adjusted


def holm_levels(p_values: Sequence[float] | np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """The level Holm's procedure compares each p-value with: alpha / (m - i) for the i-th smallest
    (i from 0) of the m p-values that are not NaN; NaN where p is NaN."""
    p = np.asarray(p_values, dtype=float)
    levels = np.full(p.shape, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    order = tested[np.argsort(p[tested], kind="stable")]
    levels[order] = alpha / (len(order) - np.arange(len(order)))
    return levels


def detectable_difference(se: float | np.ndarray, df: float | np.ndarray, level: float,
                          power: float = POWER) -> float | np.ndarray:
    """The smallest true difference a two-sided t-test at ``level`` detects with ``power``:
    (t_{1 - level/2, df} + t_{power, df}) * se, the usual approximation (under the noncentral t its
    power is 0.799 at n = 15 and level 0.05, 0.793 at 0.05 / 3). At n = 15 with 5 folds that is 1.70 s at level 0.05 and
    2.02 s at 0.05 / 3 (Holm's first step of three), s the differences' sd; the CI's half-width,
    t_{0.975, 14} * se = 1.21 s, is detected with 51% power only."""
    from scipy import stats

    return (stats.t.ppf(1.0 - level / 2.0, df) + stats.t.ppf(power, df)) * se


def detectable_floor(sd: float, folds: int, level: float, power: float = POWER) -> float:
    """What :func:`detectable_difference` tends to as repeats grow with ``folds`` fixed: the
    corrected variance (1/n + 1/(k - 1)) s^2 falls to s^2 / (k - 1), and t to the normal."""
    from scipy import stats

    return float((stats.norm.ppf(1.0 - level / 2.0) + stats.norm.ppf(power)) * sd / np.sqrt(folds - 1))


def repeats_needed(target: float, sd: float, folds: int, level: float, power: float = POWER,
                   max_repeats: int = MAX_REPEATS) -> float:
    """The fewest repeats of ``folds`` folds whose detectable difference (same sd) is at most
    ``target``; NaN when no number of repeats reaches it (the floor of :func:`detectable_floor` is
    above it: only a smaller sd, from more images per fold, would), inf beyond ``max_repeats``."""
    if not (np.isfinite(sd) and np.isfinite(target) and np.isfinite(level)) or folds < 2:
        return np.nan
    if sd == 0.0:
        return 1.0
    if detectable_floor(sd, folds, level, power) >= target:
        return np.nan
    repeats = np.arange(1, max_repeats + 1)
    n = repeats * folds
    se = sd * np.sqrt(1.0 / n + 1.0 / (folds - 1))
    reached = np.flatnonzero(detectable_difference(se, n - 1, level, power) <= target)
    return float(repeats[reached[0]]) if reached.size else np.inf
