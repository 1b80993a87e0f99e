"""Verity's worker client for Python: report progress, steps and the end of a job (see README.md)."""
from .checkpoints import Checkpoints, RestObjectIO, checkpoints_from_env
from .reporter import Reporter, reporter_from_env
from .steps import Steps, steps_from_env
from .transport import CREDENTIAL_ATTRIBUTE, ReportError, http_transport, pubsub_transport

__all__ = [
    "CREDENTIAL_ATTRIBUTE",
    "Checkpoints",
    "ReportError",
    "Reporter",
    "RestObjectIO",
    "Steps",
    "checkpoints_from_env",
    "http_transport",
    "pubsub_transport",
    "reporter_from_env",
    "steps_from_env",
]
