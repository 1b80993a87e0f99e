"""The reporter: what a worker tells Verity about its job (the same calls as shared/src/worker/reporter.ts)."""
from __future__ import annotations

import os
import uuid
from typing import Any, Dict, List, Mapping, Optional, Sequence

from .transport import Transport, http_transport, pubsub_transport


class Reporter:
    """Each report carries its own `id`: a transport retry that delivers it twice still applies once."""

    def __init__(self, job_id: str, attempt: int, transport: Transport) -> None:
        self.job_id = job_id
        self.attempt = attempt
        self._send = transport

    def _report(self, kind: str, **fields: Any) -> None:
        update: Dict[str, Any] = {"id": str(uuid.uuid4()), "jobId": self.job_id, "attempt": self.attempt, "kind": kind}
        update.update({k: v for k, v in fields.items() if v is not None})
        self._send(update)

    def started(self, steps: Optional[Sequence[str]] = None, progress: Optional[Mapping[str, Any]] = None) -> None:
        """Started; `steps` sends the step plan with it (each step weight 1)."""
        p = dict(progress or {})
        if steps:
            p.setdefault("steps", [{"name": s} for s in steps])
            p.setdefault("completedSteps", [])
        self._report("started", progress=p or None)

    def progress(
        self,
        pct: Optional[float] = None,
        step: Optional[str] = None,
        step_pct: Optional[float] = None,
        completed_steps: Optional[List[str]] = None,
        skipped_steps: Optional[List[str]] = None,
    ) -> None:
        p = {"pct": pct, "step": step, "stepPct": step_pct, "completedSteps": completed_steps, "skippedSteps": skipped_steps}
        self._report("progress", progress={k: v for k, v in p.items() if v is not None})

    def heartbeat(self) -> None:
        self._report("heartbeat")

    def succeeded(self) -> None:
        self._report("succeeded")

    def failed(self, code: str, message: str, retryable: Optional[bool] = None) -> None:
        error: Dict[str, Any] = {"code": code, "message": message}
        if retryable is not None:
            error["retryable"] = retryable
        self._report("failed", error=error)


def reporter_from_env(env: Optional[Mapping[str, str]] = None) -> Reporter:
    """The reporter of a worker Verity started: VERITY_JOB_ID, VERITY_ATTEMPT, VERITY_WORKER_TOKEN, and
    VERITY_REPORT_VIA=http (VERITY_API_URL) or Pub/Sub (VERITY_UPDATES_TOPIC, GOOGLE_CLOUD_PROJECT)."""
    e = os.environ if env is None else env
    job_id = e.get("VERITY_JOB_ID")
    if not job_id:
        raise RuntimeError("VERITY_JOB_ID is not set: this process was not started by Verity")
    attempt = int(e.get("VERITY_ATTEMPT", "1"))
    token = e.get("VERITY_WORKER_TOKEN") or None
    if e.get("VERITY_REPORT_VIA") == "http":
        return Reporter(job_id, attempt, http_transport(e.get("VERITY_API_URL", "http://127.0.0.1:8080"), token or ""))
    project = e.get("GOOGLE_CLOUD_PROJECT")
    if not project:
        raise RuntimeError("GOOGLE_CLOUD_PROJECT is not set: the updates topic's project is not known")
    topic = e.get("VERITY_UPDATES_TOPIC", "verity-job-updates")
    return Reporter(job_id, attempt, pubsub_transport(project, topic, token, e.get("PUBSUB_EMULATOR_HOST")))
