"""kubeconfig documents for a simulated cluster, and merging them into a file as kubectl would.

A context per profile user (`simk8s-compliant` for the admin, `simk8s-compliant-viewer`, ...);
other clusters, users and contexts in an existing file are kept. The file is written 0600: it
holds bearer tokens.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import yaml


def document(
    name: str, url: str, ca_pem: bytes, tokens: dict[str, str], current: str = "admin", namespace: str = "default"
) -> dict[str, Any]:
    """Cluster `name`, one user and context per token; `current` names the current context's user."""

    def context_name(user: str) -> str:
        return name if user == current else f"{name}-{user}"

    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [
            {
                "name": name,
                "cluster": {
                    "server": url,
                    "certificate-authority-data": base64.b64encode(ca_pem).decode(),
                },
            }
        ],
        "users": [{"name": f"{name}-{user}", "user": {"token": token}} for user, token in tokens.items()],
        "contexts": [
            {"name": context_name(user), "context": {"cluster": name, "user": f"{name}-{user}", "namespace": namespace}}
            for user in tokens
        ],
        "current-context": context_name(current),
    }


def merge(existing: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Entries of `new` replace same-named ones in `existing`; `current-context` becomes new's."""
    merged = dict(existing)
    for section in ("clusters", "users", "contexts"):
        names = {entry["name"] for entry in new.get(section, [])}
        kept = [e for e in existing.get(section) or [] if isinstance(e, dict) and e.get("name") not in names]
        merged[section] = kept + list(new.get(section, []))
    merged["current-context"] = new["current-context"]
    merged.setdefault("apiVersion", "v1")
    merged.setdefault("kind", "Config")
    return merged


def write(path: Path, new: dict[str, Any]) -> Path:
    """Merge `new` into the kubeconfig at `path` (created if missing) atomically, mode 0600."""
    existing: dict[str, Any] = {}
    if path.exists():
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{path} is not a kubeconfig (not a mapping)")
        existing = loaded
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(yaml.safe_dump(merge(existing, new), sort_keys=False))
    os.replace(tmp, path)
    return path
