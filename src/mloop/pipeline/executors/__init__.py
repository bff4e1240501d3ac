from mloop.pipeline.executors.base import Executor, open_executor

__all__ = ["Executor", "open_executor"]
