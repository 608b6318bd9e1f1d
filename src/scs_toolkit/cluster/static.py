"""`static`: a cluster that exists already; create copies `config.kubeconfig`, delete removes only the copy."""

from __future__ import annotations

from pathlib import Path

from ._plugin import ClusterError, ClusterPlugin, register


@register
class StaticPlugin(ClusterPlugin):
    kind = "static"

    def create(self) -> Path:
        source = self.cluster.path(self.require("kubeconfig"))
        if source.resolve() == self.kubeconfig.resolve():
            return self.kubeconfig
        try:
            text = source.read_bytes()
        except OSError as error:
            raise ClusterError(
                f"cannot read the kubeconfig {source}: {error.strerror}", "fix config.kubeconfig"
            ) from None
        self.say(f"copied {source}")
        return self.write_kubeconfig(text)

    def delete(self) -> None:
        self.kubeconfig.unlink(missing_ok=True)  # the cluster itself is not ours to delete
