"""Simulated clouds for `scs fix` tests: a private clouds.yaml, the CLI, and the state a fix may change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openstack
import openstack.connection
from typer.testing import CliRunner

from scs_toolkit.cli import app
from scs_toolkit.simcloud import SimCloud, write_clouds_yaml

runner = CliRunner()


def register(sim: SimCloud, clouds_yaml: Path, name: str) -> None:
    """`name` (member) and `name-admin` in the test's own clouds.yaml."""
    write_clouds_yaml(clouds_yaml, sim.clouds_yaml(name))


def scs(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def scs_json(*args: str) -> tuple[int, Any]:
    code, out, err = scs(*args, "--format", "json")
    try:
        return code, json.loads(out)
    except ValueError:
        raise AssertionError(f"not JSON (exit {code}): {out!r} {err!r}") from None


def connect(sim: SimCloud, who: str = "admin") -> openstack.connection.Connection:
    return openstack.connect(**sim.connect_kwargs(who))


def cloud_state(conn: openstack.connection.Connection) -> dict[str, Any]:
    """What `scs fix` may change, without ids that a re-created rule cannot keep: flavors, images, types, rules."""
    flavors = {
        f.name: (f.vcpus, f.ram, f.disk, tuple(sorted((f.extra_specs or {}).items())))
        for f in conn.compute.flavors(details=True, is_public="None")
    }
    images = {}
    for image in conn.image.images():
        raw = image.to_dict(computed=False)
        props = {**{k: v for k, v in raw.items() if isinstance(v, str)}, **(raw.get("properties") or {})}
        props.pop("updated_at", None)
        images[image.id] = (image.min_disk, image.min_ram, tuple(sorted((k, str(v)) for k, v in props.items())))
    types = {t.name: t.description or "" for t in conn.block_storage.types()}
    rules = sorted(
        (
            r.direction,
            r.ether_type,
            r.protocol or "",
            r.port_range_min or 0,
            r.port_range_max or 0,
            r.remote_ip_prefix or "",
            r.remote_group_id or "",
            bool(r.used_in_default_sg),
            bool(r.used_in_non_default_sg),
        )
        for r in conn.network.default_security_group_rules()
    )
    return {"flavors": flavors, "images": images, "volume_types": types, "rules": rules}


def check(cloud: str, tests: str) -> dict[str, str]:
    """`scs check` results (testcase -> PASS/FAIL/...) for the testcases matching `tests`."""
    code, report = scs_json("check", "--cloud", cloud, "--tests", tests)
    assert code in (0, 1), report
    return {tc: detail["result"] for tc, detail in report["details"].items()}
