"""The Python worker client against the local stack (run by test/e2e/python-worker.test.ts, which gives the jobs,
tokens and endpoints in PY_* variables and then reads Verity's store to see what these reports did)."""
import os

import pytest

from verity_worker import Checkpoints, Reporter, ReportError, RestObjectIO, Steps, http_transport, pubsub_transport

E = os.environ


def http_reporter(job: str, attempt: int = 1) -> Reporter:
    return Reporter(job, attempt, http_transport(E["VERITY_API_URL"], E["PY_HTTP_TOKEN"]))


def test_http_started_steps_checkpointed_and_succeeded() -> None:
    r = http_reporter(E["PY_HTTP_JOB"])
    r.started(steps=["render", "mux"])
    ckpt = Checkpoints(RestObjectIO(E["VERITY_GCS_ENDPOINT"]), E["PY_CHECKPOINT_PREFIX"])
    steps = Steps(r, ckpt)
    frames = steps.run("render", lambda: {"frames": 240})
    muxed = steps.run("mux", lambda: f"{frames['frames']} frames muxed")
    assert steps.ran == ["render", "mux"] and steps.skipped == []
    r.heartbeat()
    # a later attempt finds both checkpoints whole: nothing runs again, the results come back
    again = Steps(Reporter(r.job_id, 2, lambda u: None), ckpt)
    assert again.run("render", lambda: pytest.fail("ran again")) == {"frames": 240}
    assert again.run("mux", lambda: pytest.fail("ran again")) == muxed
    assert again.skipped == ["render", "mux"]
    r.succeeded()


def test_http_credential_is_scoped_to_its_job() -> None:
    other = http_reporter(E["PY_PUBSUB_JOB"])
    with pytest.raises(ReportError) as err:
        other.progress(pct=99)
    assert err.value.status in (403, 404)


def test_pubsub_reports_with_the_credential_attribute() -> None:
    send = pubsub_transport(E["GOOGLE_CLOUD_PROJECT"], E["VERITY_UPDATES_TOPIC"], E["PY_PUBSUB_CREDENTIAL"], E["PUBSUB_EMULATOR_HOST"])
    r = Reporter(E["PY_PUBSUB_JOB"], 1, send)
    r.started()
    r.progress(pct=50, step="voice")
    r.failed("VOICE_MODEL_DOWN", "the voice model answered 503", retryable=False)
