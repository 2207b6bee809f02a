"""The thesis' method in the names every table uses: its classifier, its arm, the arm its claim
compares with and the gains it claims (Wu Tong, UKM 2025: SMOTEENN+CGAN over CGAN alone, on
average over six datasets), and the chance classifier every classifier is read against. The
metrics themselves, and their names for people, are :mod:`infantfer.metrics`."""

METHOD_CLASSIFIER = "f1_adaboost"  # CART boosted by the F1-weighted AdaBoost
METHOD_ARM = "smoteenn_cgan"
COMPARED_ARM = "cgan"  # what the thesis' claim compares the method's arm with
THESIS_CLAIM = {"macro_f1": 6.3, "g_mean": 2.3, "auc_ovr": 5.6}  # % gain of METHOD_ARM over COMPARED_ARM
CHANCE_CLASSIFIER = "chance"  # the floor every classifier is read against: a sanity row, never a verdict
