"""The simulated cluster's objects: an in-memory etcd stand-in with revisions and watch.

Every write bumps one cluster-wide revision and stamps it as the object's `resourceVersion`;
watchers get each change as an event (ADDED, MODIFIED, DELETED), and a watch may resume from
any revision still in the bounded history (older: 410 Gone, as etcd compaction does). All calls
happen on the server's event loop, so no locks are needed. Optionally the objects are kept in a
JSON state file (written atomically after each change).
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
import os
import random
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._models import rfc3339

Object = dict[str, Any]
HISTORY = 10_000


@dataclass(frozen=True)
class Change:
    revision: int
    key: str
    namespace: str
    type: str  # ADDED, MODIFIED, DELETED
    object: Object


class TooOld(Exception):
    """The requested revision is no longer in the watch history."""

    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")


@dataclass(eq=False)
class Watcher:
    key: str
    namespace: str | None
    queue: asyncio.Queue[Change | None] = field(default_factory=asyncio.Queue)

    def wants(self, change: Change) -> bool:
        return change.key == self.key and (self.namespace is None or change.namespace == self.namespace)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Store:
    def __init__(self, seed: int | None = None, path: Path | None = None) -> None:
        self.revision = 1
        self._objects: dict[str, dict[tuple[str, str], Object]] = {}
        self._history: deque[Change] = deque(maxlen=HISTORY)
        self._watchers: set[Watcher] = set()
        self._random = random.Random(seed)
        self.path = path
        self.dirty = False

    # -- reads -----------------------------------------------------------------------------

    def get(self, key: str, namespace: str, name: str) -> Object | None:
        return self._objects.get(key, {}).get((namespace, name))

    def list(self, key: str, namespace: str | None = None) -> list[Object]:
        table = self._objects.get(key, {})
        return [table[k] for k in sorted(table) if namespace is None or k[0] == namespace]

    def keys(self) -> Iterator[str]:
        return iter(list(self._objects))

    def count(self, key: str) -> int:
        return len(self._objects.get(key, {}))

    # -- writes ----------------------------------------------------------------------------

    def new_uid(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def random_suffix(self, length: int = 5) -> str:
        alphabet = "bcdfghjklmnpqrstvwxz2456789"  # the API server's generateName alphabet
        return "".join(self._random.choice(alphabet) for _ in range(length))

    def create(self, key: str, obj: Object) -> Object:
        meta = obj.setdefault("metadata", {})
        meta.setdefault("uid", self.new_uid())
        meta.setdefault("creationTimestamp", rfc3339(now()))
        if "generation" not in meta and "spec" in obj:
            meta["generation"] = 1
        return self._write(key, obj, "ADDED")

    def update(self, key: str, obj: Object) -> Object:
        return self._write(key, obj, "MODIFIED")

    def remove(self, key: str, namespace: str, name: str) -> Object | None:
        obj = self._objects.get(key, {}).pop((namespace, name), None)
        if obj is None:
            return None
        self.revision += 1
        obj = copy.deepcopy(obj)
        obj["metadata"]["resourceVersion"] = str(self.revision)
        self._publish(Change(self.revision, key, namespace, "DELETED", obj))
        return obj

    def _write(self, key: str, obj: Object, kind: str) -> Object:
        self.revision += 1
        meta = obj["metadata"]
        meta["resourceVersion"] = str(self.revision)
        namespace = meta.get("namespace", "")
        self._objects.setdefault(key, {})[(namespace, meta["name"])] = obj
        self._publish(Change(self.revision, key, namespace, kind, copy.deepcopy(obj)))
        return obj

    def _publish(self, change: Change) -> None:
        self._history.append(change)
        self.dirty = True
        for watcher in list(self._watchers):
            if watcher.wants(change):
                watcher.queue.put_nowait(change)

    # -- watch -----------------------------------------------------------------------------

    def watch(self, key: str, namespace: str | None, since: int | None) -> Watcher:
        """Subscribe to changes after revision `since` (None: from now on)."""
        watcher = Watcher(key, namespace)
        if since is not None and since < self.revision:
            oldest = self._history[0].revision if self._history else self.revision
            if since < oldest - 1:
                raise TooOld(since, oldest)
            for change in self._history:
                if change.revision > since and watcher.wants(change):
                    watcher.queue.put_nowait(change)
        self._watchers.add(watcher)
        return watcher

    def unwatch(self, watcher: Watcher) -> None:
        self._watchers.discard(watcher)

    def close_watches(self) -> None:
        """End every open watch (at shutdown, so streaming responses finish)."""
        for watcher in list(self._watchers):
            watcher.queue.put_nowait(None)
        self._watchers.clear()

    # -- persistence -----------------------------------------------------------------------

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        document = {
            "version": 1,
            "revision": self.revision,
            "objects": {key: list(table.values()) for key, table in self._objects.items()},
        }
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        tmp.write_text(json.dumps(document), encoding="utf-8")
        os.replace(tmp, self.path)
        self.dirty = False

    def load(self) -> bool:
        """Load the state file if there is one; returns whether it did."""
        if self.path is None or not self.path.exists():
            return False
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
            revision = int(document["revision"])
            objects = {
                key: {(o["metadata"].get("namespace", ""), o["metadata"]["name"]): o for o in items}
                for key, items in document["objects"].items()
            }
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{self.path}: not a simk8s state file: {error}") from None
        self.revision, self._objects = revision, objects
        self.dirty = False
        return True
