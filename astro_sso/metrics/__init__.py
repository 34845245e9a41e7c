"""Performance metrics and plots for classifiers, shared by every plugin.

Scores of hard predictions (confusion matrix, accuracy, precision, recall, F1,
Cohen's kappa), of continuous scores (ROC curve and AUC, the astronomical
purity of Lieu et al. 2019, Eq. 10, and purity-completeness curves), rates in
bins (fraction of SSOs missed against speed or magnitude), a JSON-ready
report, and PNG plots of each. Pure NumPy; matplotlib is imported only by the
plot functions.
"""

from .binned import binned_rate, wilson_interval
from .curves import astronomical_purity, purity_completeness_curve, roc_auc, roc_curve
from .plots import plot_binned_rate, plot_confusion_matrix, plot_purity_completeness, plot_roc
from .report import classification_report, table_records
from .scores import accuracy, cohen_kappa, confusion_matrix, f1, precision, recall

__all__ = [
    "confusion_matrix",
    "accuracy",
    "precision",
    "recall",
    "f1",
    "cohen_kappa",
    "roc_curve",
    "roc_auc",
    "astronomical_purity",
    "purity_completeness_curve",
    "binned_rate",
    "wilson_interval",
    "classification_report",
    "table_records",
    "plot_confusion_matrix",
    "plot_roc",
    "plot_purity_completeness",
    "plot_binned_rate",
]
