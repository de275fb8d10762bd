"""The pipeline: the stages in order over each snapshot (`engine`), the one replay loop
over a recording (`replay`), and what a run counted (`stats`)."""

from service.pipeline.engine import Pipeline
from service.pipeline.replay import replay
from service.pipeline.stats import Stats

__all__ = ["Pipeline", "Stats", "replay"]
