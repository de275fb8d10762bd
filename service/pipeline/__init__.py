"""The pipeline: the stages in order over each snapshot (`engine`), the one replay loop
over a recording (`replay`), what a run counted (`stats`), and the garbage collector's
settings for a process that runs it for hours (`heap`)."""

from service.pipeline.engine import Pipeline
from service.pipeline.replay import replay
from service.pipeline.stats import Stats

__all__ = ["Pipeline", "Stats", "replay"]
