"""The demo's world: card transactions with a fraud label, and daily card statistics.

Card `i` has a typical spend; each day's statistics (`amount_7d`, `tx_24h`) come from it. A
transaction is fraud with a probability that grows with how unusual it is for the card (amount
against the card's 7-day mean), with online use, night hours, distance and the merchant's risk.
`season="holiday"` changes the world the way Decembers do: everyone spends ~70% more, half the
purchases are online, and fraud moves to risky merchants and long distances — so a model
trained before it both sees drifted inputs and loses accuracy (concept drift) until retrained.
Everything is vectorised numpy.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

Season = Literal["normal", "holiday"]
CARDS = 1_000
#: what a request carries (the card id plus these), before the server adds the card's features
REQUEST_FIELDS = ["amount", "distance_km", "hour", "is_online", "merchant_risk"]
#: what the model reads: the request fields, the card's stored features, the on-demand ratio
MODEL_FEATURES = [*REQUEST_FIELDS, "amount_7d", "tx_24h", "amount_ratio"]


def card_spend(seed: int = 0) -> np.ndarray:
    import numpy as np

    return np.random.default_rng(seed).lognormal(3.4, 0.5, CARDS)


def card_stats(start: datetime, days: int, season: Season = "normal", seed: int = 1) -> pd.DataFrame:
    """One row per card and day from `start`: the card's mean spend over 7 days and its count of
    transactions in the last 24 hours, stamped at the day's start."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    spend = card_spend() * (1.7 if season == "holiday" else 1.0)
    cards, day = np.repeat(np.arange(CARDS), days), np.tile(np.arange(days), CARDS)
    return pd.DataFrame({
        "card_id": cards,
        "event_time": pd.Timestamp(start) + pd.to_timedelta(day, unit="D"),
        "amount_7d": (spend[cards] * rng.lognormal(0, 0.08, len(cards))).round(2),
        "tx_24h": rng.poisson(3 if season == "normal" else 5, len(cards)),
    })


def transactions(start: datetime, end: datetime, rows: int, season: Season = "normal", seed: int = 2,
                 prefix: str = "") -> pd.DataFrame:
    """`rows` transactions with event times spread over [start, end), their fraud label, and an id."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    holiday = season == "holiday"
    cards = rng.integers(0, CARDS, rows)
    spend = card_spend()[cards] * (1.7 if holiday else 1.0)
    amount = spend * rng.lognormal(0, 0.6, rows)
    frame = pd.DataFrame({
        "transaction_id": [f"{prefix}{season[0]}{seed}-{i:06d}" for i in range(rows)],
        "card_id": cards,
        "event_timestamp": pd.Timestamp(start) + pd.to_timedelta(rng.uniform(0, (end - start).total_seconds(), rows),
                                                                 unit="s"),
        "amount": amount.round(2),
        "distance_km": rng.gamma(1.5, 12 if holiday else 8, rows).round(1),
        "hour": rng.integers(0, 24, rows),
        "is_online": (rng.random(rows) < (0.55 if holiday else 0.25)).astype("int64"),
        "merchant_risk": rng.beta(2, 6, rows).round(3),
    })
    frame["is_fraud"] = (rng.random(rows) < fraud_probability(frame, spend, holiday)).astype("int64")
    return frame.sort_values("event_timestamp", ignore_index=True)


def fraud_probability(frame: pd.DataFrame, spend: np.ndarray, holiday: bool) -> np.ndarray:
    import numpy as np

    unusual = np.log(frame["amount"].to_numpy() / spend)
    night = (frame["hour"].to_numpy() < 6).astype(float)
    if holiday:  # fraud rings at risky merchants far from home; big baskets are normal now
        logit = (-7.0 + 0.3 * unusual + 0.5 * frame["is_online"] + 0.3 * night
                 + 14.0 * frame["merchant_risk"] + 0.08 * frame["distance_km"])
    else:
        logit = (-4.6 + 3.5 * unusual + 1.5 * frame["is_online"] + 1.5 * night
                 + 2.0 * frame["merchant_risk"] + 0.01 * frame["distance_km"])
    return np.asarray(1 / (1 + np.exp(-logit)))


def write_history(folder: Path, now: datetime) -> list[Path]:
    """The data a team has before the demo: card statistics and labelled transactions for the
    60 days up to two weeks ago (the first partition of each)."""
    start, end = now - timedelta(days=60), now - timedelta(days=14)
    return _write(folder, "2-months-ago", card_stats(start, 46), transactions(start, end, 24_000))


def write_fresh(folder: Path, now: datetime) -> list[Path]:
    """The last two weeks arrive: holiday-season statistics and labelled transactions."""
    start = now - timedelta(days=14)
    return _write(folder, "last-2-weeks", card_stats(start, 14, "holiday", seed=3),
                  transactions(start, now - timedelta(hours=1), 9_000, "holiday", seed=4))


def _write(folder: Path, partition: str, stats: pd.DataFrame, tx: pd.DataFrame) -> list[Path]:
    paths = [folder / "card_stats" / f"{partition}.parquet", folder / "transactions" / f"{partition}.parquet"]
    for path, frame in zip(paths, (stats, tx), strict=True):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        frame.to_parquet(tmp, index=False)
        tmp.replace(path)  # a watcher of the folder never sees half a file
    return paths


def requests(count: int, season: Season, seed: int, prefix: str = "") -> pd.DataFrame:
    """Live traffic: transactions happening now (request fields, card id, and the truth that
    will be learned later); ids start with `prefix`."""
    from mloop.core.clock import utcnow

    now = utcnow()
    return transactions(now - timedelta(minutes=1), now, count, season, seed, f"{prefix}-" if prefix else "")
