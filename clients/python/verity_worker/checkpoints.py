"""Step checkpoints in Cloud Storage, in the layout of docs/workers.md (as shared/src/worker/checkpoints.ts):

    {prefix}{step}.{attempt}-{nonce}.out   the step's result (JSON), one object per writer
    {prefix}{step}.json                    its manifest, create-only: the first attempt to finish a step owns it

A step is done when its manifest parses and its data object has the manifest's size and SHA-256."""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import secrets
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Optional, Protocol, Tuple


class ObjectIO(Protocol):
    def read(self, uri: str) -> Optional[bytes]: ...

    def write(self, uri: str, data: bytes, content_type: str, create_only: bool = False) -> bool: ...


def _split(uri: str) -> Tuple[str, str]:
    if not uri.startswith("gs://") or "/" not in uri[5:]:
        raise ValueError(f"not a gs:// object URI: {uri}")
    bucket, name = uri[5:].split("/", 1)
    return bucket, name


def part(step: str) -> str:
    """A step name as an object name part: letters, digits, `.`, `_`, `-` and `~` kept, the rest percent-encoded."""
    return urllib.parse.quote(step, safe="").replace("%2A", "%2a")


class RestObjectIO:
    """The Cloud Storage JSON API over urllib: fake-gcs-server (VERITY_GCS_ENDPOINT), or Cloud Storage itself with a
    token from google-auth (the gcp extra)."""

    def __init__(self, endpoint: Optional[str] = None, timeout: float = 30.0) -> None:
        self.base = (endpoint or "https://storage.googleapis.com").rstrip("/")
        self.emulated = endpoint is not None
        self.timeout = timeout

    def _headers(self) -> Dict[str, str]:
        if self.emulated:
            return {}
        import google.auth  # type: ignore[import-not-found]
        import google.auth.transport.requests  # type: ignore[import-not-found]

        creds, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/devstorage.read_write"])
        creds.refresh(google.auth.transport.requests.Request())
        return {"authorization": f"Bearer {creds.token}"}

    def read(self, uri: str) -> Optional[bytes]:
        bucket, name = _split(uri)
        url = f"{self.base}/storage/v1/b/{urllib.parse.quote(bucket, safe='')}/o/{urllib.parse.quote(name, safe='')}?alt=media"
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=self._headers()), timeout=self.timeout) as r:
                return bytes(r.read())
        except urllib.error.HTTPError as err:
            if err.code == 404:
                return None
            raise

    def write(self, uri: str, data: bytes, content_type: str, create_only: bool = False) -> bool:
        bucket, name = _split(uri)
        q = {"uploadType": "multipart", **({"ifGenerationMatch": "0"} if create_only else {})}
        boundary = f"verity-{secrets.token_hex(8)}"
        body = (
            f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n"
            f"{json.dumps({'name': name, 'contentType': content_type})}\r\n"
            f"--{boundary}\r\nContent-Type: {content_type}\r\n\r\n"
        ).encode("utf-8") + data + f"\r\n--{boundary}--\r\n".encode("utf-8")
        url = f"{self.base}/upload/storage/v1/b/{urllib.parse.quote(bucket, safe='')}/o?{urllib.parse.urlencode(q)}"
        headers = {"content-type": f"multipart/related; boundary={boundary}", **self._headers()}
        try:
            with urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST", headers=headers), timeout=self.timeout) as r:
                r.read()
            return True
        except urllib.error.HTTPError as err:
            if err.code == 412:
                return False
            raise


class Checkpoints:
    def __init__(self, io: ObjectIO, prefix: str) -> None:
        if not prefix.startswith("gs://") or not prefix.endswith("/"):
            raise ValueError(f"not a gs:// prefix: {prefix}")
        self.io = io
        self.prefix = prefix

    def manifest_uri(self, step: str) -> str:
        return f"{self.prefix}{part(step)}.json"

    def load(self, step: str) -> Optional[Tuple[Dict[str, Any], bytes]]:
        """The step's checkpoint when it is whole (manifest valid, data of its size and hash); else None."""
        raw = self.io.read(self.manifest_uri(step))
        if raw is None:
            return None
        try:
            m = json.loads(raw.decode("utf-8"))
            ok = m.get("version") == 1 and m.get("step") == step and isinstance(m.get("object"), str)
        except (ValueError, AttributeError):
            return None
        if not ok:
            return None
        data = self.io.read(f"{self.prefix}{m['object']}")
        if data is None or len(data) != m.get("size") or hashlib.sha256(data).hexdigest() != m.get("sha256"):
            return None
        return m, data

    def save(self, step: str, attempt: int, data: bytes) -> Tuple[bool, bytes]:
        """The data, then the manifest, create-only; (False, the owner's data) when another attempt was first."""
        obj = f"{part(step)}.{attempt}-{secrets.token_hex(4)}.out"
        self.io.write(f"{self.prefix}{obj}", data, "application/json")
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        manifest = {"version": 1, "step": step, "attempt": attempt, "object": obj,
                    "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "at": now}
        if self.io.write(self.manifest_uri(step), json.dumps(manifest).encode("utf-8"), "application/json", create_only=True):
            return True, data
        winner = self.load(step)
        return (False, winner[1]) if winner else (True, data)


def checkpoints_from_env(env: Optional[Dict[str, str]] = None) -> Optional[Checkpoints]:
    """VERITY_CHECKPOINT_PREFIX (None without one), through VERITY_GCS_ENDPOINT when set."""
    e = dict(os.environ) if env is None else env
    prefix = e.get("VERITY_CHECKPOINT_PREFIX")
    return Checkpoints(RestObjectIO(e.get("VERITY_GCS_ENDPOINT")), prefix) if prefix else None
