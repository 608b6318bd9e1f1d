"""The few API verbs the KaaS probes need, over a KubeConnection, with retries and waits on watch events.

Waiting is done on the API server's watch stream (the event that the PVC is Bound, the namespace is
gone), never by polling in a sleep loop; a watch that ends early (timeoutSeconds, a dropped stream)
is resumed after a fresh read.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from ._kubernetes import KubeConnection, describe, request, send, with_kube_retries
from ._retry import CANCEL, Cancelled


def _api_exception() -> Any:
    from kubernetes.client.exceptions import ApiException

    return ApiException


def api_status(error: BaseException) -> int | None:
    return getattr(error, "status", None) if type(error).__name__ == "ApiException" else None


def get(conn: KubeConnection, path: str) -> dict[str, Any] | None:
    """The object, or None when it does not exist (404)."""
    try:
        result: dict[str, Any] = with_kube_retries(lambda: request(conn, "GET", path))
        return result
    except Exception as error:
        if api_status(error) == 404:
            return None
        raise


def create(conn: KubeConnection, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST, retried on transient errors; a retried create that had already succeeded is read back."""

    def attempt() -> dict[str, Any]:
        try:
            created: dict[str, Any] = request(conn, "POST", path, body=body)
            return created
        except Exception as error:
            if api_status(error) == 409:
                found = request(conn, "GET", f"{path}/{body['metadata']['name']}")
                if found is not None:
                    return dict(found)
            raise

    return with_kube_retries(attempt)


def delete(conn: KubeConnection, path: str) -> bool:
    """DELETE with background propagation; False when it was already gone."""
    try:
        with_kube_retries(lambda: request(conn, "DELETE", path, body={"propagationPolicy": "Background"}))
        return True
    except Exception as error:
        if api_status(error) == 404:
            return False
        raise


def wait_for(
    conn: KubeConnection,
    collection: str,
    name: str,
    done: Callable[[dict[str, Any] | None], bool],
    timeout_s: float,
    what: str,
    cancellable: bool = True,
) -> dict[str, Any] | None:
    """Watch `collection` (a list path) for object `name` until `done(object or None when deleted)`.

    Returns the object that satisfied `done` (None: deleted); TimeoutError after `timeout_s`, Cancelled
    on Ctrl-C when `cancellable`.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        current = get(conn, f"{collection}/{name}")
        if done(current):
            return current
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            state = json.dumps((current or {}).get("status") or {})[:200]
            raise TimeoutError(f"{what}: not done after {timeout_s:.0f} s (status {state})")
        if cancellable and CANCEL.is_set():
            raise Cancelled(f"interrupted while waiting for {what}")
        revision = ((current or {}).get("metadata") or {}).get("resourceVersion", "")
        result = _watch(conn, collection, name, revision, done, min(remaining, 2.0 if cancellable else remaining))
        if result is not _NOT_YET:
            return result  # type: ignore[no-any-return]


_NOT_YET = object()


def _watch(
    conn: KubeConnection,
    collection: str,
    name: str,
    revision: str,
    done: Callable[[dict[str, Any] | None], bool],
    seconds: float,
) -> Any:
    """One watch stream of at most `seconds`: the object when `done`, None when deleted and done, else _NOT_YET."""
    query: list[tuple[str, Any]] = [
        ("watch", "true"),
        ("fieldSelector", f"metadata.name={name}"),
        ("timeoutSeconds", str(max(1, int(seconds)))),
        ("allowWatchBookmarks", "true"),
    ]
    if revision:
        query.append(("resourceVersion", revision))
    try:
        raw = send(conn, "GET", collection, query=query, timeout_s=seconds + 10)
        if raw.status != 200:
            raw.read()
            raise _api_exception()(http_resp=raw)
        response = raw.response
    except Exception as error:
        if api_status(error) in (410, 429) or api_status(error) is None or (api_status(error) or 0) >= 500:
            time.sleep(0.2)  # the next round re-reads the object and watches from its revision
            return _NOT_YET
        raise
    try:
        for line in response:
            for text in line.decode().splitlines():
                if not text.strip():
                    continue
                event = json.loads(text)
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    return _NOT_YET  # e.g. 410 Gone: re-read and watch anew
                if kind == "DELETED" and done(None):
                    return None
                if kind in ("ADDED", "MODIFIED") and done(obj):
                    return obj
    except Exception:  # a dropped stream: the next round re-reads
        return _NOT_YET
    finally:
        response.release_conn()
    return _NOT_YET


def permission_problem(error: BaseException, doing: str) -> str | None:
    """For a 403 or 401: the reason an active probe cannot run (ABORT), else None."""
    status = api_status(error)
    if status in (401, 403):
        return f"the account may not {doing}: {describe(error)}"
    return None


def remove_by_prefix(
    conn: KubeConnection, prefix: str, dry_run: bool = False, timeout_s: float = 300.0
) -> list[tuple[str, str, str | None]]:
    """Delete the namespaces named `prefix...` (probes' and Sonobuoy runs') and the volumes their claims kept.

    Returns (kind, name, problem or None) per object found; nothing else is touched.
    """
    found: list[tuple[str, str, str | None]] = []
    namespaces = [
        n["metadata"]["name"]
        for n in (get(conn, "/api/v1/namespaces") or {}).get("items") or []
        if n["metadata"]["name"].startswith(prefix)
    ]
    volumes = [
        v["metadata"]["name"]
        for v in (get(conn, "/api/v1/persistentvolumes") or {}).get("items") or []
        if str(((v.get("spec") or {}).get("claimRef") or {}).get("namespace", "")).startswith(prefix)
    ]
    targets = [("namespace", "/api/v1/namespaces", n) for n in namespaces] + [
        ("persistentvolume", "/api/v1/persistentvolumes", v) for v in volumes
    ]
    for kind, collection, name in targets:
        if dry_run:
            found.append((kind, name, None))
            continue
        try:
            delete(conn, f"{collection}/{name}")
            wait_for(conn, collection, name, lambda o: o is None, timeout_s, f"{kind} {name}", cancellable=False)
            found.append((kind, name, None))
        except Exception as error:
            found.append((kind, name, f"{type(error).__name__}: {describe(error) if api_status(error) else error}"))
    return found
