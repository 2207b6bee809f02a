"""The thesis' method in the names every table uses: its classifier, its arm, the metrics it
reports and the gains it claims (Wu Tong, UKM 2025: SMOTEENN+CGAN over CGAN alone, on average over
six datasets), and the chance classifier every classifier is read against."""

METHOD_CLASSIFIER = "f1_adaboost"  # CART boosted by the F1-weighted AdaBoost
METHOD_ARM = "smoteenn_cgan"
COMPARED_ARM = "cgan"  # what the thesis' claim compares the method's arm with
METRICS = ["macro_f1", "g_mean", "auc_ovr"]  # the columns of metrics.tsv that are metrics
METRIC_NAMES = {"macro_f1": "macro F1", "g_mean": "G-mean", "auc_ovr": "AUC"}
THESIS_CLAIM = {"macro_f1": 6.3, "g_mean": 2.3, "auc_ovr": 5.6}  # % gain of METHOD_ARM over COMPARED_ARM
CHANCE_CLASSIFIER = "chance"  # the floor every classifier is read against: a sanity row, never a verdict
