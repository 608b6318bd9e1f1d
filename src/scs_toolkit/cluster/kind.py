"""`kind`: a local cluster in docker (`config.image`, e.g. kindest/node:v1.37.3, optional `config.cluster`: a
kind configuration file). Needs the `kind` binary and a running docker; without them a clear error."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ._plugin import ClusterError, ClusterPlugin, register

INSTALL_HINT = (
    "install docker and kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation), or use another plugin"
)


@register
class KindPlugin(ClusterPlugin):
    kind = "kind"

    def _binaries(self) -> tuple[str, str]:
        kind, docker = shutil.which("kind"), shutil.which("docker")
        missing = [name for name, found in (("kind", kind), ("docker", docker)) if not found]
        if missing:
            raise ClusterError(f"the kind plugin needs {' and '.join(missing)}, not found on PATH", INSTALL_HINT)
        assert kind is not None and docker is not None
        probe = subprocess.run(
            [docker, "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True, check=False
        )
        if probe.returncode != 0:
            raise ClusterError(
                f"docker is not running: {(probe.stderr or probe.stdout).strip()[:300]}", "start the docker daemon"
            )
        return kind, docker

    def create(self) -> Path:
        kind, _ = self._binaries()
        command = [kind, "create", "cluster", "--name", self.cluster.name, "--image", self.require("image")]
        command += ["--kubeconfig", str(self.kubeconfig), "--wait", "300s"]
        if self.config.get("cluster"):
            command += ["--config", str(self.cluster.path(str(self.config["cluster"])))]
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._run(command)
        self.kubeconfig.chmod(0o600)
        return self.kubeconfig

    def delete(self) -> None:
        kind, _ = self._binaries()
        self._run([kind, "delete", "cluster", "--name", self.cluster.name, "--kubeconfig", str(self.kubeconfig)])
        self.kubeconfig.unlink(missing_ok=True)

    def _run(self, command: list[str]) -> None:
        self.say(" ".join(command))
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ClusterError(f"{' '.join(command[:3])} failed (exit {done.returncode}): {done.stderr.strip()[-400:]}")
