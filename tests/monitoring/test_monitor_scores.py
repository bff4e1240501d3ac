from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from mloop.monitoring.kinds.scores import auc, expected_accuracy, expected_auc


def test_auc_with_tied_scores_equals_sklearn() -> None:
    rng = np.random.default_rng(0)
    scores = np.round(rng.uniform(size=5000), 2)  # many ties
    labels = rng.uniform(size=5000) < scores

    assert auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert auc(np.ones(3, bool), [0.1, 0.2, 0.3]) is None


def test_expected_auc_is_the_mean_auc_of_labels_drawn_from_the_scores() -> None:
    rng = np.random.default_rng(1)
    p = np.round(1.0 / (1.0 + np.exp(-rng.normal(0.0, 1.5, 3000))), 3)
    draws = [roc_auc_score(rng.uniform(size=len(p)) < p, p) for _ in range(40)]

    assert expected_auc(p) == pytest.approx(np.mean(draws), abs=0.005)
    assert expected_accuracy(np.c_[1 - p, p]) == pytest.approx(np.mean(np.maximum(p, 1 - p)))
