"""`borderwatch run`: the long-running service on one event loop (`service`), and what
runs beside the pipeline there: liveness, the record behind the read API, the goodbye
on shutdown (`heartbeat`)."""

from service.runtime.service import run_service

__all__ = ["run_service"]
