"""Model serving: batch scoring of tables of any size (and, beside it, online and stream serving)."""

from mloop.serving.batch import BatchScoringResult, score_batch
from mloop.serving.batch_step import batch_scoring_step

__all__ = ["BatchScoringResult", "batch_scoring_step", "score_batch"]
