"""How a report reaches Verity: HTTP to the API, or a message on the updates topic (the emulator or Pub/Sub)."""
from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict, Optional

Update = Dict[str, Any]
Transport = Callable[[Update], None]

#: The message attribute that carries the worker credential (shared/src/auth/worker-credential.ts).
CREDENTIAL_ATTRIBUTE = "verityCredential"


class ReportError(Exception):
    """Verity refused a report (4xx: it will not be accepted as it is) or could not be reached."""

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.status = status


def _post(url: str, body: Dict[str, Any], headers: Dict[str, str], timeout: float) -> None:
    data = json.dumps(body).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST", headers={"content-type": "application/json", **headers})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            res.read()
    except urllib.error.HTTPError as err:
        raise ReportError(f"{url}: HTTP {err.code} {err.read().decode('utf-8', 'replace')}", err.code) from None
    except urllib.error.URLError as err:
        raise ReportError(f"{url}: {err.reason}") from None


def http_transport(api_url: str, token: str, timeout: float = 10.0) -> Transport:
    """`POST {api_url}/api/jobs/{jobId}/updates` with the worker credential (or any token) as Bearer."""
    base = api_url.rstrip("/")

    def send(update: Update) -> None:
        job = urllib.parse.quote(update["jobId"], safe="")
        _post(f"{base}/api/jobs/{job}/updates", update, {"authorization": f"Bearer {token}"}, timeout)

    return send


def _google_token() -> str:
    try:
        import google.auth  # type: ignore[import-not-found]
        import google.auth.transport.requests  # type: ignore[import-not-found]
    except ImportError as err:  # pragma: no cover - the gcp extra
        raise ReportError("Pub/Sub outside the emulator needs google-auth: pip install verity-worker[gcp]") from err
    creds, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/pubsub"])
    creds.refresh(google.auth.transport.requests.Request())
    return str(creds.token)


def pubsub_transport(
    project: str,
    topic: str = "verity-job-updates",
    credential: Optional[str] = None,
    emulator_host: Optional[str] = None,
    timeout: float = 10.0,
) -> Transport:
    """Publishes each report (attribute `jobId`, and the credential) over Pub/Sub's REST API."""
    host = emulator_host or os.environ.get("PUBSUB_EMULATOR_HOST")
    base = f"http://{host}" if host else "https://pubsub.googleapis.com"
    url = f"{base}/v1/projects/{urllib.parse.quote(project, safe='')}/topics/{urllib.parse.quote(topic, safe='')}:publish"

    def send(update: Update) -> None:
        attributes = {"jobId": update["jobId"], **({CREDENTIAL_ATTRIBUTE: credential} if credential else {})}
        data = base64.b64encode(json.dumps(update).encode("utf-8")).decode("ascii")
        headers = {} if host else {"authorization": f"Bearer {_google_token()}"}
        _post(url, {"messages": [{"data": data, "attributes": attributes}]}, headers, timeout)

    return send
