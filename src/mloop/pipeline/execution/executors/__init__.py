from mloop.pipeline.execution.executors.base import Executor, open_executor

__all__ = ["Executor", "open_executor"]
