from __future__ import annotations

from collections.abc import Iterator

import openstack
import openstack.connection
import pytest

from scs_toolkit.simcloud import SimCloud


def connect(sim: SimCloud, who: str = "user") -> openstack.connection.Connection:
    return openstack.connect(**sim.connect_kwargs(who))


@pytest.fixture(scope="module")
def conn(simcloud: SimCloud) -> Iterator[openstack.connection.Connection]:
    connection = connect(simcloud)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def admin(simcloud: SimCloud) -> Iterator[openstack.connection.Connection]:
    connection = connect(simcloud, "admin")
    yield connection
    connection.close()
