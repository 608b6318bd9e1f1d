"""Configuration files of the real OpenStack services of the integration tier (one function per service).

Everything listens on 127.0.0.1 with one worker; Nova and Cinder use PostgreSQL (several processes
writing one SQLite file deadlock), the others SQLite. Facts and pitfalls behind the settings:
shared/reference/real-openstack.md.
"""

from __future__ import annotations

import configparser
import io
from dataclasses import dataclass
from pathlib import Path

REGION = "RegionOne"
SERVICE_PASSWORD = "scs-it-service-secret"


@dataclass(frozen=True)
class Ports:
    keystone: int
    keystone_broken: int
    placement: int
    glance: int
    nova: int
    cinder: int
    neutron: int
    rabbit: int
    epmd: int


@dataclass(frozen=True)
class Layout:
    """Where one bring-up keeps its files: all under one temporary root, logs in one folder."""

    root: Path
    venv: Path

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def apps(self) -> Path:
        return self.root / "apps"

    def etc(self, service: str) -> Path:
        return self.root / "etc" / service

    def state(self, service: str) -> Path:
        return self.root / "state" / service

    @property
    def pg_socket_dir(self) -> Path:
        return self.root / "pg"

    def sqlite(self, name: str) -> str:
        return f"sqlite:///{self.state(name)}/{name}.db"

    def postgres(self, database: str) -> str:
        return f"postgresql+psycopg2://postgres@/{database}?host={self.pg_socket_dir}"


def render(sections: dict[str, dict[str, object]]) -> str:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep the options' case
    for name, options in sections.items():
        if name != "DEFAULT":
            parser.add_section(name)
        for key, value in options.items():
            parser.set(name, key, str(value).lower() if isinstance(value, bool) else str(value))
    out = io.StringIO()
    parser.write(out)
    return out.getvalue()


def keystone_url(ports: Ports) -> str:
    return f"http://127.0.0.1:{ports.keystone}/v3"


def _service_auth(ports: Ports, username: str) -> dict[str, object]:
    """A password log-in for a service user in the `service` project (authtoken, placement, neutron...)."""
    return {
        "auth_type": "password",
        "auth_url": keystone_url(ports),
        "project_domain_name": "Default",
        "user_domain_name": "Default",
        "project_name": "service",
        "username": username,
        "password": SERVICE_PASSWORD,
        "region_name": REGION,
    }


def _authtoken(ports: Ports, username: str) -> dict[str, object]:
    return {**_service_auth(ports, username), "www_authenticate_uri": keystone_url(ports), "service_type": username}


def _common(layout: Layout, service: str) -> dict[str, object]:
    return {"log_file": str(layout.logs / f"{service}.log"), "debug": False, "use_stderr": False}


def keystone(layout: Layout, policy_file: Path | None = None, name: str = "keystone") -> str:
    state = layout.state("keystone")
    sections: dict[str, dict[str, object]] = {
        "DEFAULT": _common(layout, name),
        "database": {"connection": layout.sqlite("keystone")},
        "token": {"provider": "fernet"},
        "fernet_tokens": {"key_repository": str(state / "fernet-keys")},
        "fernet_receipts": {"key_repository": str(state / "fernet-receipts")},
        "credential": {"key_repository": str(state / "credential-keys")},
    }
    if policy_file is not None:
        sections["oslo_policy"] = {"policy_file": str(policy_file)}
    return render(sections)


def placement(layout: Layout, ports: Ports) -> str:
    return render(
        {
            "DEFAULT": _common(layout, "placement"),
            "placement_database": {"connection": layout.sqlite("placement")},
            "api": {"auth_strategy": "keystone"},
            "keystone_authtoken": _authtoken(ports, "placement"),
        }
    )


def glance(layout: Layout, ports: Ports) -> str:
    state = layout.state("glance")
    return render(
        {
            "DEFAULT": {**_common(layout, "glance"), "enabled_backends": "fs:file", "workers": 1},
            "database": {"connection": layout.sqlite("glance")},
            "glance_store": {"default_backend": "fs"},
            "fs": {"filesystem_store_datadir": str(state / "images")},
            "os_glance_staging_store": {"filesystem_store_datadir": str(state / "staging")},
            "os_glance_tasks_store": {"filesystem_store_datadir": str(state / "tasks")},
            "keystone_authtoken": _authtoken(ports, "glance"),
            "paste_deploy": {"flavor": "keystone"},
            "oslo_concurrency": {"lock_path": str(state / "locks")},
        }
    )


def nova(layout: Layout, ports: Ports) -> str:
    state = layout.state("nova")
    return render(
        {
            "DEFAULT": {
                **_common(layout, "nova"),
                "transport_url": f"rabbit://guest:guest@127.0.0.1:{ports.rabbit}/",
                # persists its node identity in state_path/compute_id: survives restarts (FakeDriver does not)
                "compute_driver": "fake.FakeDriverWithoutFakeNodes",
                "host": "fakehost1",
                "my_ip": "127.0.0.1",
                "state_path": str(state),
                "osapi_compute_workers": 1,
                "metadata_workers": 1,
                "instance_name_template": "instance-%08x",
            },
            "api": {"auth_strategy": "keystone"},
            "wsgi": {"api_paste_config": str(layout.etc("nova") / "api-paste.ini")},
            "api_database": {"connection": layout.postgres("nova_api")},
            "database": {"connection": layout.postgres("nova_cell1")},
            "conductor": {"workers": 1},
            "scheduler": {"workers": 1, "discover_hosts_in_cells_interval": -1},
            # no ImagePropertiesFilter: the images say hypervisor_type=qemu, the fake driver reports `fake`
            "filter_scheduler": {"enabled_filters": "ComputeFilter,ComputeCapabilitiesFilter"},
            "oslo_concurrency": {"lock_path": str(state / "locks")},
            "oslo_messaging_notifications": {"driver": "noop"},
            "keystone_authtoken": _authtoken(ports, "nova"),
            "placement": _service_auth(ports, "placement") | {"username": "nova", "valid_interfaces": "public"},
            "neutron": _service_auth(ports, "nova") | {"valid_interfaces": "public"},
            "glance": {"valid_interfaces": "public", "region_name": REGION},
            "cinder": {"os_region_name": REGION, "catalog_info": "block-storage:cinder:publicURL"},
            "service_user": _service_auth(ports, "nova") | {"send_service_user_token": True},
            "vnc": {"enabled": False},
            "serial_console": {"enabled": False},
            "spice": {"enabled": False},
        }
    )


def cinder(layout: Layout, ports: Ports) -> str:
    state = layout.state("cinder")
    return render(
        {
            "DEFAULT": {
                **_common(layout, "cinder"),
                "transport_url": f"rabbit://guest:guest@127.0.0.1:{ports.rabbit}/",
                "auth_strategy": "keystone",
                "enabled_backends": "fake",
                "default_volume_type": "__DEFAULT__",
                "host": "cinderhost",
                "my_ip": "127.0.0.1",
                "state_path": str(state),
                "osapi_volume_workers": 1,
                "api_paste_config": str(layout.etc("cinder") / "api-paste.ini"),
                "resource_query_filters_file": str(layout.etc("cinder") / "resource_filters.json"),
                # the fake backup driver keeps the API and state machine of backups, with no data
                "backup_driver": "cinder.tests.unit.backup.fake_service.FakeBackupService",
                "glance_api_servers": f"http://127.0.0.1:{ports.glance}",
                # a stopped service counts as down after seconds, not a minute (a test stops cinder-backup)
                "report_interval": 2,
                "service_down_time": 8,
            },
            "database": {"connection": layout.postgres("cinder")},
            "fake": {
                "volume_driver": "scs_it_drivers.cinder_local.LocalFileVolumeDriver",
                "volume_backend_name": "fake",
            },
            "keystone_authtoken": _authtoken(ports, "cinder"),
            "oslo_concurrency": {"lock_path": str(state / "locks")},
            "oslo_messaging_notifications": {"driver": "noop"},
            "coordination": {"backend_url": f"file://{state / 'coordination'}"},
            "nova": _service_auth(ports, "cinder") | {"interface": "public"},
        }
    )


def neutron(layout: Layout, ports: Ports) -> str:
    state = layout.state("neutron")
    return render(
        {
            "DEFAULT": {
                **_common(layout, "neutron"),
                "transport_url": f"rabbit://guest:guest@127.0.0.1:{ports.rabbit}/",
                "core_plugin": "ml2",
                "service_plugins": "router",
                "auth_strategy": "keystone",
                "api_workers": 1,
                "rpc_workers": 0,
                "state_path": str(state),
                "notify_nova_on_port_status_changes": True,
                "notify_nova_on_port_data_changes": True,
                "api_paste_config": str(layout.etc("neutron") / "api-paste.ini"),
            },
            "database": {"connection": layout.sqlite("neutron")},
            "keystone_authtoken": _authtoken(ports, "neutron"),
            "nova": _service_auth(ports, "neutron") | {"endpoint_type": "public"},
            "oslo_concurrency": {"lock_path": str(state / "locks")},
            "oslo_messaging_notifications": {"driver": "noop"},
        }
    )


def ml2() -> str:
    return render(
        {
            "ml2": {
                "type_drivers": "flat,vxlan",
                "tenant_network_types": "vxlan",
                "mechanism_drivers": "scs_bindall",
                "extension_drivers": "port_security",
            },
            "ml2_type_flat": {"flat_networks": "public"},
            "ml2_type_vxlan": {"vni_ranges": "1:1000"},
        }
    )


#: scs-0302 turned upside down for the second Keystone: a `manager` may create users and projects in
#: *any* domain. `scs iam domain-manager` must FAIL against it (and leave nothing behind).
BROKEN_DOMAIN_MANAGER_POLICY = """\
"identity:create_user": "rule:admin_required or role:manager"
"identity:create_project": "rule:admin_required or role:manager"
"""


def wsgi_wrapper(import_line: str, argv: list[str] | None = None) -> str:
    """A module gunicorn loads: oslo.config would otherwise parse gunicorn's own command line."""
    args = "sys.argv[:1]" if argv is None else f"sys.argv[:1] + {argv!r}"
    return f"import sys\n\nsys.argv = {args}\n{import_line}  # noqa: E402\n"
