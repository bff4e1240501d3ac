"""Online feature enrichment: a version trained on a feature-store training set is served from
entity keys and request fields; the server reads the online values and computes on-demand
features with the training code."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import serving_features as sf
from served import serving

import mloop


def test_a_request_with_entity_keys_only_is_enriched_from_the_online_store(sqlite_workspace: Path) -> None:
    sf.write_project(sqlite_workspace)
    version = mloop.register_model("fraud", sf.training.run().output("fit"))
    mloop.promote(version.ref, "champion", force=True)
    requests = [{"customer_id": 3, "amount": 80.0}, {"customer_id": 17, "amount": 5.5}]
    online = mloop.get_online_features(requests, "fraud_v1").to_frame()
    model = version.load().model
    expected = model.predict_proba(online.assign(amount=[r["amount"] for r in requests])[sf.FEATURES])

    with serving("fraud@champion") as server:
        single = [httpx.post(f"{server.url}/predict", json=r).json() for r in requests]
        both = httpx.post(f"{server.url}/predict", json={"records": requests}).json()
        missing = httpx.post(f"{server.url}/predict", json={"amount": 3.0})
        unknown = httpx.post(f"{server.url}/predict", json={"customer_id": 999, "amount": 3.0})
        override = httpx.post(f"{server.url}/predict", json={**requests[0], "amount_7d": 1.0, "tx_7d": 0,
                                                             "amount_ratio": 80.0}).json()

    assert np.allclose([s["probabilities"][0] for s in single], expected)
    assert np.allclose(both["probabilities"], expected)
    assert missing.status_code == 422 and "missing field 'customer_id'" in missing.json()["error"]
    # an entity with no online values: the features are missing, which training never saw
    assert unknown.status_code == 422 and "missing value" in unknown.json()["error"]
    # fields the request carries win over online values
    given = model.predict_proba(pd.DataFrame([[80.0, 1.0, 0, 80.0]], columns=sf.FEATURES))
    assert np.allclose(override["probabilities"], given)
