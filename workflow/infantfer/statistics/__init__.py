"""Statistics over the folds' metrics: what the comparison of the arms says.

Computed from ``metrics.tsv`` alone, never by refitting. The package imports only numpy and pandas;
scipy, statsmodels and scikit-posthocs are imported inside the functions that need them, so the
jobs that only summarise start in a fraction of a second.

Within one dataset (:mod:`.compare`), arms are compared fold by fold on the Nadeau-Bengio corrected
variance (:mod:`.paired`): the corrected t-test, Holm-adjusted over the comparisons of one dataset x
classifier x metric, says higher or lower; two one-sided tests against a region of practical
equivalence (``statistics.rope``) say equivalent; otherwise the comparison is inconclusive. The
Bayesian correlated t-test's probabilities, the difference the run could detect with 80% power and
Wilcoxon's signed-rank p-value (uncorrected for overlapping training sets) are reported beside it.
Across datasets (:mod:`.across`), arms are ranked per dataset and compared with Friedman's test and
each arm against the reference by Wilcoxon over datasets (Demsar 2006; Benavoli, Corani & Mangili 2016).
"""

from ..method import COMPARED_ARM, METHOD_ARM, METHOD_CLASSIFIER, THESIS_CLAIM  # noqa: F401 (re-exported)
from ..metrics import METRICS  # noqa: F401 (re-exported)
from .across import (MEAN_ROW, RANK_COLUMNS, THESIS_ARM, THESIS_BASELINE, THESIS_COLUMNS, across_datasets,
                     reference_tests, thesis_claim)
from .compare import (ALPHA, AT_CHANCE, COMPARISON_COLUMNS, CONSTANT, DIFFERENCES, EQUIVALENT, HIGHER, HIGHER_IN_ROPE,
                      HYBRID_PAIRS, IDENTICAL, INCONCLUSIVE, LOWER, LOWER_IN_ROPE, MIN_PAIRS, NO_PAIRS, NO_VERDICT,
                      PRIMARY_METRIC, REFERENCE_ARM, ROPE, SANITY_CLASSIFIERS, TOO_FEW, check_rope, compare_arms,
                      comparison_pairs, direction, measured_test_train_ratio, summarise)
from .paired import (POWER, corrected_ttest, detectable_difference, detectable_floor, equivalence_test,
                     holm_adjust, holm_levels, posterior_probabilities, repeats_needed)

__all__ = [
    "ALPHA", "AT_CHANCE", "COMPARED_ARM", "COMPARISON_COLUMNS", "CONSTANT", "DIFFERENCES", "EQUIVALENT", "HIGHER",
    "HIGHER_IN_ROPE", "HYBRID_PAIRS", "IDENTICAL", "INCONCLUSIVE", "LOWER", "LOWER_IN_ROPE", "PRIMARY_METRIC",
    "direction",
    "MEAN_ROW", "METHOD_ARM", "METHOD_CLASSIFIER", "METRICS", "MIN_PAIRS", "NO_PAIRS", "NO_VERDICT", "POWER",
    "RANK_COLUMNS", "REFERENCE_ARM", "ROPE", "SANITY_CLASSIFIERS", "THESIS_ARM", "THESIS_BASELINE", "THESIS_CLAIM",
    "THESIS_COLUMNS", "TOO_FEW", "across_datasets", "check_rope", "compare_arms", "comparison_pairs",
    "corrected_ttest", "detectable_difference", "detectable_floor", "equivalence_test", "holm_adjust",
    "holm_levels", "measured_test_train_ratio", "reference_tests", "posterior_probabilities", "repeats_needed",
    "summarise", "thesis_claim",
]
