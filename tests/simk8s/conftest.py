from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import kubernetes
import pytest

from scs_toolkit.simk8s import SimK8s


def client_for(sim: SimK8s, path: Path, user: str = "admin") -> kubernetes.client.ApiClient:
    """An official-client ApiClient from a kubeconfig file, as any user of the cluster would build it."""
    sim.kubeconfig(path, user)
    return kubernetes.config.new_client_from_config(str(path))


@pytest.fixture(scope="module")
def api(simk8s: SimK8s, tmp_path_factory: pytest.TempPathFactory) -> Iterator[kubernetes.client.ApiClient]:
    client = client_for(simk8s, tmp_path_factory.mktemp("admin") / "kubeconfig")
    yield client
    client.close()


@pytest.fixture(scope="module")
def viewer(simk8s: SimK8s, tmp_path_factory: pytest.TempPathFactory) -> Iterator[kubernetes.client.ApiClient]:
    client = client_for(simk8s, tmp_path_factory.mktemp("viewer") / "kubeconfig", "viewer")
    yield client
    client.close()
