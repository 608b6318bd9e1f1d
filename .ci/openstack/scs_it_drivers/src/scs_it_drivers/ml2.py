"""A Neutron ML2 mechanism driver that binds every port to the first segment it is offered.

API-only Neutron has no agent and no OVN/OVS, so no real mechanism driver can bind ports and Nova's
boots with a NIC fail with PortBindingFailed. This driver says yes to every binding (VIF type
`other`, no dataplane): servers boot with NICs on the fake virt driver, nothing is wired up.
Installed only into the integration tier's own service virtualenv; never for a real cloud.
"""

from __future__ import annotations

from typing import Any

from neutron_lib.api.definitions import portbindings
from neutron_lib.plugins.ml2 import api


class BindAllMechanismDriver(api.MechanismDriver):  # type: ignore[misc]
    """Bind each port to the first segment of the network, whatever the host or network type."""

    def initialize(self) -> None:
        """Nothing to set up: there is no dataplane."""

    @property
    def connectivity(self) -> str:
        return portbindings.CONNECTIVITY_L2

    def bind_port(self, context: Any) -> None:
        for segment in context.segments_to_bind:
            context.set_binding(segment[api.ID], portbindings.VIF_TYPE_OTHER, {}, status="ACTIVE")
            return
