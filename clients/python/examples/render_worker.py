"""The local stack's Python demo worker (job type `demo-python`): renders in two checkpointed steps and uploads
its outputs, reporting to Verity as a seed 000 worker would — with the client in this folder's parent."""
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verity_worker import RestObjectIO, reporter_from_env, steps_from_env  # noqa: E402


def main() -> int:
    reporter = reporter_from_env()
    params = json.loads(os.environ.get("VERITY_INPUT") or "{}")
    outputs = json.loads(os.environ.get("VERITY_OUTPUTS") or "[]")
    frames = int(params.get("frames", 24))
    reporter.started(steps=["render", "upload"])
    steps = steps_from_env(reporter)

    def render() -> dict:
        time.sleep(float(params.get("seconds", 0.2)))
        return {"frames": frames}

    def upload() -> int:
        io = RestObjectIO(os.environ.get("VERITY_GCS_ENDPOINT"))
        for uri in outputs:
            io.write(uri, f"{frames} frames, rendered in Python".encode("utf-8"), "video/mp4")
        return len(outputs)

    steps.run("render", render)
    steps.run("upload", upload)
    reporter.succeeded()
    return 0


if __name__ == "__main__":
    sys.exit(main())
