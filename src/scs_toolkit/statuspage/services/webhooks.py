"""Outgoing webhooks: incident events POSTed as JSON to every configured URL, signed with HMAC-SHA256.

Headers: `X-SCS-Event` (incident.created, incident.updated, incident.resolved), `X-SCS-Timestamp`
(Unix seconds) and `X-SCS-Signature: sha256=<hex>` over `<timestamp>.<body>` under the hook's secret,
so a receiver can check origin and freshness (refuse old timestamps against replays).

Deliveries leave the request path: a worker thread per sender POSTs them after the write committed,
with a few retries on errors. They are not persisted: a process that stops drops the undelivered ones
(documented in docs/status-page.md); the audit trail and the Atom feeds remain the durable record.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..._time import iso, naive, utcnow
from ...monitor import names
from ...monitor.db import Database
from ..db import Incident, Webhook
from ..model import Actor, bad, missing
from . import audit, incidents

LOG = logging.getLogger("scs_toolkit.statuspage.webhooks")
SECRET_MIN, SECRET_MAX = 16, 256


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """What a receiver does (and our tests): constant-time comparison of the signature."""
    return hmac.compare_digest(signature(secret, timestamp, body), header)


# ---- configuration -----------------------------------------------------------------------------


def add(db: Session, actor: Actor, url: str, secret: str) -> Webhook:
    if not url.startswith(("https://", "http://")) or len(url) > 2048:
        raise bad("the webhook URL must start with https:// (or http://) and be at most 2048 characters")
    try:
        names.require_text(url, "the webhook URL", 2048)
    except names.InvalidName as error:
        raise bad(str(error)) from None
    if not SECRET_MIN <= len(secret) <= SECRET_MAX or not secret.isprintable():
        raise bad(f"the webhook secret must be {SECRET_MIN} to {SECRET_MAX} printable characters")
    hook = Webhook(url=url, secret=secret, created_at=naive(utcnow()))
    db.add(hook)
    db.flush()
    audit.record(db, actor, "create", "webhook", hook.id, after={"url": url})  # never the secret
    return hook


def listing(db: Session) -> list[Webhook]:
    return list(db.scalars(select(Webhook).order_by(Webhook.id)))


def remove(db: Session, actor: Actor, hook_id: int) -> None:
    hook = db.get(Webhook, hook_id)
    if hook is None:
        raise missing(f"no webhook {hook_id}")
    audit.record(db, actor, "delete", "webhook", hook_id, {"url": hook.url})
    db.delete(hook)


# ---- delivery ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    url: str
    secret: str
    event: str
    body: bytes


class WebhookSender:
    """Builds the payloads of committed events and delivers them from a worker thread."""

    def __init__(
        self,
        database: Database,
        page_url: Callable[[uuid.UUID], str | None] = lambda incident: None,
        retries: tuple[float, ...] = (1.0, 5.0, 30.0),
        timeout: float = 5.0,
    ) -> None:
        self.database, self.page_url, self.retries, self.timeout = database, page_url, retries, timeout
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.delivered = 0
        self.failed = 0

    def send(self, happened: list[tuple[str, uuid.UUID]]) -> None:
        """Queue one delivery per event and webhook (nothing when no webhook is configured)."""
        with self.database.session() as db:
            hooks = [(h.url, h.secret) for h in listing(db)]
            if not hooks:
                return
            documents = {}
            for incident_id in {i for _, i in happened}:
                row = db.scalar(
                    select(Incident)
                    .options(selectinload(Incident.impacts), selectinload(Incident.updates))
                    .where(Incident.id == incident_id)
                )
                if row is not None:
                    documents[incident_id] = incidents.plain(row)
        for event, incident_id in happened:
            if incident_id not in documents:
                continue  # deleted again meanwhile
            payload: dict[str, Any] = {"event": event, "at": iso(utcnow()), "incident": documents[incident_id]}
            link = self.page_url(incident_id)
            if link:
                payload["url"] = link
            body = json.dumps(payload, sort_keys=True).encode()
            for url, secret in hooks:
                self._queue.put(Delivery(url, secret, event, body))
        self._start()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued delivery was tried (the CLI does before it exits); False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            with self._queue.all_tasks_done:
                self._queue.all_tasks_done.wait(max(0.0, deadline - time.monotonic()))
        return not self._queue.unfinished_tasks

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="statuspage-webhooks", daemon=True)
                self._thread.start()

    def _work(self) -> None:
        with httpx.Client(timeout=self.timeout, follow_redirects=False) as client:
            while True:
                delivery = self._queue.get()
                try:
                    if delivery is None:
                        return
                    self._deliver(client, delivery)
                finally:
                    self._queue.task_done()

    def _deliver(self, client: httpx.Client, delivery: Delivery) -> None:
        for attempt, pause in enumerate((0.0, *self.retries)):
            if pause:
                time.sleep(pause)  # a back-off between attempts, in the worker thread only
            timestamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "scs-toolkit-statuspage",
                "X-SCS-Event": delivery.event,
                "X-SCS-Timestamp": timestamp,
                "X-SCS-Signature": signature(delivery.secret, timestamp, delivery.body),
            }
            try:
                answer = client.post(delivery.url, content=delivery.body, headers=headers)
            except httpx.HTTPError as error:
                reason = type(error).__name__
            else:
                if answer.status_code < 300:
                    self.delivered += 1
                    return
                reason = f"HTTP {answer.status_code}"
                if 400 <= answer.status_code < 500 and answer.status_code not in (408, 429):
                    break  # the receiver refuses it: trying again will not help
            LOG.warning(
                "webhook %s: %s failed (attempt %d): %s", _host(delivery.url), delivery.event, attempt + 1, reason
            )
        self.failed += 1

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(5)


def _host(url: str) -> str:
    """Only the host of a webhook URL goes to the log (its path may carry a token)."""
    return httpx.URL(url).host
