"""`steps.run(name, fn)`: a step runs once across attempts (as shared/src/worker/steps.ts). A step whose checkpoint is
whole is skipped — its recorded result returned, `skippedSteps` reported; a step that runs is reported as the current
step, then checkpointed, then reported done. A report that fails is not fatal: Verity's deadlines cover it."""
from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional, TypeVar

from .checkpoints import Checkpoints, checkpoints_from_env
from .reporter import Reporter
from .transport import ReportError

T = TypeVar("T")


class Steps:
    def __init__(self, reporter: Reporter, checkpoints: Optional[Checkpoints]) -> None:
        self.reporter = reporter
        self.checkpoints = checkpoints
        self.ran: List[str] = []
        self.skipped: List[str] = []
        self._completed: List[str] = []

    def _report(self, **progress: Any) -> None:
        try:
            self.reporter.progress(**progress)
        except ReportError:
            pass

    def _done(self) -> Dict[str, Any]:
        return {"completed_steps": list(self._completed), "skipped_steps": list(self.skipped) or None}

    def run(self, name: str, fn: Callable[[], T]) -> T:
        saved = self.checkpoints.load(name) if self.checkpoints else None
        if saved is not None:
            self.skipped.append(name)
            self._completed.append(name)
            self._report(**self._done())
            return json.loads(saved[1].decode("utf-8"))  # type: ignore[no-any-return]
        self._report(step=name, step_pct=0, **self._done())
        result = fn()
        out = result
        if self.checkpoints:
            won, data = self.checkpoints.save(name, self.reporter.attempt, json.dumps(result).encode("utf-8"))
            if not won:  # another attempt finished it first: go on from its result
                out = json.loads(data.decode("utf-8"))
        self.ran.append(name)
        self._completed.append(name)
        self._report(**self._done())
        return out


def steps_from_env(reporter: Reporter, env: Optional[Dict[str, str]] = None) -> Steps:
    return Steps(reporter, checkpoints_from_env(env))
