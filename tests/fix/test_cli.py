"""`scs fix` on the bad paths: a member's apply, no terminal, bad input, stale reports, undo meeting other people's
changes and servers, and interruptions between changes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from scs_toolkit import standards
from scs_toolkit.fix import (
    Header,
    Journal,
    NeedsAdmin,
    Selection,
    apply_changes,
    make_plan,
    read_journal,
    take_inventory,
)
from scs_toolkit.simcloud import SimCloud, SimCloudOptions

from ._cloud import cloud_state, connect, register, scs, scs_json

SCOPE = standards.load_scope("scs-compatible-iaas")


@pytest.fixture(scope="module")
def missing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimCloud]:
    """One missing-flavors cloud for the tests that must not change it, registered as `missing`/`missing-admin`."""
    clouds = tmp_path_factory.mktemp("clouds") / "clouds.yaml"
    with (
        SimCloud(SimCloudOptions(profile="missing-flavors", seed=31, ssh=False)) as sim,
        pytest.MonkeyPatch.context() as mp,
    ):
        register(sim, clouds, "missing")
        mp.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
        yield sim


@pytest.fixture
def clouds_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "clouds.yaml"
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    return path


def test_a_members_apply_is_refused_and_changes_nothing(missing: SimCloud, private_state: Path) -> None:
    before = cloud_state(connect(missing))
    code, _, err = scs("fix", "apply", "--cloud", "missing", "--yes")
    assert code == 2
    assert "needs an admin account: 3 of the 3 planned changes (flavors) need the admin role" in err
    assert "nothing changed" in err and "--os-cloud" in err
    assert cloud_state(connect(missing)) == before
    assert not (private_state / "scs-toolkit" / "fix").exists()  # nothing to journal


def test_the_clouds_403_becomes_needs_an_admin_account(missing: SimCloud, tmp_path: Path) -> None:
    """A cloud whose policy differs from the role names: the applier stops at the first 403, changes nothing."""
    member = connect(missing, "user")
    plan = make_plan(take_inventory(member), "missing", Selection(SCOPE, "scs-0103"))
    journal = Journal(tmp_path / "j.jsonl", Header("missing", "u", member.current_project_id, "now"))
    with pytest.raises(NeedsAdmin) as refused:
        apply_changes(member, plan.changes, journal)
    message = str(refused.value)
    assert message.startswith("needs an admin account: the cloud refused to create flavor SCS-2V-8")
    assert "HTTP 403" in message and "os-flavor-manage:create" in message
    _, entries = read_journal(journal.path)
    assert [(e.status, e.created_id) for e in entries] == [("failed", None)]  # one try, nothing made
    assert "SCS-2V-8" not in {f.name for f in connect(missing).compute.flavors()}


def test_without_a_terminal_apply_asks_for_yes(missing: SimCloud) -> None:
    code, out, err = scs("fix", "apply", "--cloud", "missing-admin")
    assert code == 2 and "no terminal to ask on" in err and "--yes" in err
    assert "create flavor SCS-2V-8" in out  # the plan it would have applied is shown
    assert "SCS-2V-8" not in {f.name for f in connect(missing).compute.flavors()}


def test_only_and_bad_input(missing: SimCloud, tmp_path: Path) -> None:
    code, plan = scs_json("fix", "plan", "--cloud", "missing", "--only", "images,security-groups")
    assert code == 0 and plan["changes"] == []
    assert "3 planned change(s) outside --only images, security-groups left out" in plan["notes"]
    code, plan = scs_json("fix", "plan", "--cloud", "missing", "--only", "flavors")
    assert code == 1 and {c["area"] for c in plan["changes"]} == {"flavors"}
    code, _, err = scs("fix", "plan", "--cloud", "missing", "--only", "flavours")
    assert code == 2 and "unknown area(s) flavours" in err and "volume-types" in err
    code, _, err = scs("fix", "plan", "--cloud", "missing", "--tests", "scs-(")
    assert code == 2 and "not a regular expression" in err
    code, _, err = scs("fix", "plan", "--cloud", "nowhere")
    assert code == 2 and "no cloud named 'nowhere'" in err
    code, _, err = scs("fix", "plan", "--cloud", "missing", "--scope", "scs-compatible-kaas")
    assert code == 2 and "not about OpenStack clouds" in err
    report = tmp_path / "report.yaml"
    report.write_text("just: text\n")
    code, _, err = scs("fix", "plan", "--cloud", "missing", "--report", str(report))
    assert code == 2 and "not a report written by `scs check -o`" in err


def test_a_bad_catalogue_is_refused_before_the_cloud_is_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(tmp_path / "no-clouds.yaml"))  # there is no cloud at all
    catalogue = tmp_path / "images.yml"
    catalogue.write_text(
        "images:\n  - name: Rocky 9\n    format: qcow2\n    login: rocky\n    min_disk: 10\n    min_ram: 1024\n"
        "    status: active\n    visibility: public\n    multi: true\n    meta: {replace_frequency: sometimes}\n"
        "    tags: []\n    versions: [{version: '1', url: 'https://x', build_date: 'soon'}]\n"
    )
    code, _, err = scs("fix", "plan", "--image-catalogue", str(catalogue))
    assert code == 2
    assert "image catalogue" in err and "cannot be used" in err
    assert "images[0] (Rocky 9): meta: replace_frequency: 'sometimes' is not one of" in err
    assert "versions[0].build_date: 'soon' is not a date" in err
    code, _, err = scs("fix", "plan", "--image-catalogue", str(tmp_path / "nothing.yml"))
    assert code == 2 and "no such file or directory" in err


def test_a_report_brings_the_probes_failures_and_says_what_passes_now(
    clouds_yaml: Path, tmp_path: Path, simcloud_factory: Callable[..., SimCloud]
) -> None:
    sim = simcloud_factory(profile="broken-storage", seed=32, ssh=False)
    register(sim, clouds_yaml, "storage")
    report = tmp_path / "report.yaml"
    assert scs("check", "--cloud", "storage", "--tests", "scs-0114|scs-0117", "-o", str(report))[0] == 1
    code, plan = scs_json("fix", "plan", "--cloud", "storage-admin", "--report", str(report))
    assert code == 1 and plan["testcases"] == sorted(plan["testcases"])
    assert set(plan["testcases"]) == {  # the report's testcases, not the scope's
        "scs-0114-syntax-check",
        "scs-0114-encrypted-type",
        "scs-0114-replicated-type",
        "scs-0117-test-backup",
    }
    [backup] = [s for s in plan["operator"] if s["testcases"] == ["scs-0117-test-backup"]]
    assert "cinder-backup" in backup["why"] and "a plan runs no probes" in backup["why"]
    assert "backup driver" in backup["what"] and "MUST be configured" in backup["quote"]
    assert any("the report" in note and "storage-admin" in note for note in plan["notes"])  # of `storage`
    assert scs("fix", "apply", "--cloud", "storage-admin", "--yes", "--report", str(report))[0] == 0
    code, plan = scs_json("fix", "plan", "--cloud", "storage-admin", "--report", str(report))
    [stale] = [note for note in plan["notes"] if "pass now" in note]
    assert plan["changes"] == [] and "pass now: scs-0114-replicated-type, scs-0114-syntax-check" in stale


def test_undo_leaves_other_peoples_changes_and_used_flavors_alone(
    clouds_yaml: Path, simcloud_factory: Callable[..., SimCloud]
) -> None:
    sim = simcloud_factory(profile="overstated-flavors", seed=33, ssh=False)
    register(sim, clouds_yaml, "over")
    admin = connect(sim)
    # SCS-4V-16 is wrong under its own name: once the operator deletes it, apply creates it anew
    admin.compute.delete_flavor(admin.compute.find_flavor("SCS-4V-16"))
    code, applied = scs_json(
        "fix", "apply", "--cloud", "over-admin", "--yes", "--tests", "scs-0103-flavor-(8v-32|4v-16)$"
    )
    assert code == 0 and len(applied["results"]) == 2
    # since then: another admin changed the spec apply set, and a server uses the flavor apply created
    specs_flavor = admin.compute.find_flavor("SCS-8V-32")
    admin.compute.update_flavor_extra_specs_property(specs_flavor, "scs:cpu-type", "crowded-core")
    new_flavor = admin.compute.find_flavor("SCS-4V-16")
    network = admin.network.create_network(name="uses-new-flavor")
    admin.network.create_subnet(network_id=network.id, cidr="10.40.0.0/24", ip_version=4)
    image = admin.image.find_image("Debian 12")
    admin.compute.create_server(
        name="on-4v-16",
        flavor_id=new_flavor.id,
        networks=[{"uuid": network.id}],
        block_device_mapping_v2=[
            {"boot_index": 0, "uuid": image.id, "source_type": "image", "destination_type": "volume", "volume_size": 8}
        ],
    )
    code, undone = scs_json("fix", "undo", "--cloud", "over-admin", "--yes")  # the newest journal of the cloud
    assert code == 1
    statuses = {r["change"]["target"]: (r["status"], r["detail"]) for r in undone["results"]}
    assert statuses["SCS-8V-32"][0] == "conflict" and "'crowded-core' now" in statuses["SCS-8V-32"][1]
    assert statuses["SCS-4V-16"][0] == "conflict" and "used by 1 server" in statuses["SCS-4V-16"][1]
    assert admin.compute.find_flavor("SCS-4V-16") is not None
    assert admin.compute.fetch_flavor_extra_specs(specs_flavor).extra_specs["scs:cpu-type"] == "crowded-core"


def test_undo_only_with_the_cloud_the_journal_is_of(missing: SimCloud, tmp_path: Path) -> None:
    member = connect(missing, "user")
    journal = tmp_path / "j.jsonl"
    elsewhere = Journal(journal, Header("elsewhere", "https://elsewhere.example/v3", "p", "now"))
    plan = make_plan(take_inventory(connect(missing)), "missing", Selection(SCOPE, "scs-0103-flavor-2v-8$"))
    elsewhere.finish(elsewhere.begin(plan.changes[0]), "done", {}, "flavor-elsewhere")
    code, _, err = scs("fix", "undo", "--cloud", "missing", "--yes", "--journal", str(journal))
    assert code == 2 and "records changes to cloud elsewhere" in err
    code, _, err = scs("fix", "undo", "--cloud", "missing", "--yes")
    assert code == 2 and "no journal of cloud missing" in err
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{}\n")
    code, _, err = scs("fix", "undo", "--cloud", "missing", "--journal", str(broken))
    assert code == 2 and "line 1: not a journal record" in err
    assert member.current_project_id  # the member's view is untouched by all of this


def test_stop_between_changes(clouds_yaml: Path, tmp_path: Path, simcloud_factory: Callable[..., SimCloud]) -> None:
    sim = simcloud_factory(profile="missing-flavors", seed=34, ssh=False)
    admin = connect(sim)
    plan = make_plan(take_inventory(admin), "m", Selection(SCOPE, "scs-0103"))
    stop = threading.Event()
    journal = Journal(tmp_path / "j.jsonl", Header("m", "u", admin.current_project_id, "now"))
    done = apply_changes(admin, plan.changes, journal, lambda applied: stop.set(), stop)
    assert [a.status for a in done] == ["done"] and len(plan.changes) == 3
    _, entries = read_journal(journal.path)
    assert [e.status for e in entries] == ["done"]


def test_ctrl_c_finishes_the_change_under_way_and_exits_130(
    clouds_yaml: Path, private_state: Path, simcloud_factory: Callable[..., SimCloud]
) -> None:
    sim = simcloud_factory(profile="missing-flavors", seed=35, ssh=False)
    register(sim, clouds_yaml, "slow")
    before = cloud_state(connect(sim))
    httpx.patch(f"{sim.url}/_sim/faults", json={"services": {"compute": {"latency_ms": 150}}}).raise_for_status()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    scs_bin = str(Path(sys.executable).parent / "scs")
    with subprocess.Popen(
        [scs_bin, "fix", "apply", "--cloud", "slow-admin", "--yes", "--tests", "scs-0103"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:  # waits for the first change to be reported
            if line.startswith("done:"):
                process.send_signal(signal.SIGINT)
                break
        _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "interrupted" in err
    [journal] = (private_state / "scs-toolkit" / "fix").glob("slow-admin-*.jsonl")
    _, entries = read_journal(journal)
    assert 1 <= len(entries) < 3 and {e.status for e in entries} == {"done"}  # no change left half-done
    httpx.delete(f"{sim.url}/_sim/faults").raise_for_status()
    code, undone = scs_json("fix", "undo", "--cloud", "slow-admin", "--yes")
    assert code == 0 and len(undone["results"]) == len(entries)
    assert cloud_state(connect(sim)) == before
    assert json.loads(journal.read_text().splitlines()[-1])["type"] == "undo"


@pytest.mark.parametrize(("answer", "code"), [("n\n", 2), ("y\n", 0), ("\x04", 130)])  # \x04: Ctrl-D, end of input
def test_on_a_terminal_apply_asks_first(
    answer: str, code: int, clouds_yaml: Path, simcloud_factory: Callable[..., SimCloud]
) -> None:
    import pty

    sim = simcloud_factory(profile="missing-flavors", seed=36, ssh=False)
    register(sim, clouds_yaml, "asked")
    controller, terminal = pty.openpty()
    try:
        os.write(controller, answer.encode())  # typed ahead: the terminal keeps it until the question reads it
        done = subprocess.run(
            [str(Path(sys.executable).parent / "scs"), "fix", "apply", "--cloud", "asked-admin", "--format", "json"],
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "COLUMNS": "200"},
            check=False,
        )
    finally:
        os.close(controller)
        os.close(terminal)
    assert done.returncode == code, done.stderr
    assert "Apply 3 change(s) to asked-admin?" in done.stderr
    created = {"SCS-2V-8", "SCS-4V-16-100s", "SCS-1L-1"} & {f.name for f in connect(sim).compute.flavors()}
    assert created == (set() if answer != "y\n" else {"SCS-2V-8", "SCS-4V-16-100s", "SCS-1L-1"})
    if answer == "n\n":
        assert "not confirmed: nothing changed" in done.stderr
    if answer == "\x04":
        assert "interrupted: nothing changed" in done.stderr and "Traceback" not in done.stderr
