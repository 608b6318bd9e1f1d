"""Print what `scs fix` costs on simulated clouds with API latency: plan (inventory + planning), apply, undo.

Run: .venv/bin/python benchmarks/fix.py [--latency-ms 50]
Figures per profile: changes planned, wall time and API calls of the plan, of applying it and of undoing it.
Journals go to a temporary folder.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import openstack

from scs_toolkit import standards
from scs_toolkit.fix import (
    Header,
    Journal,
    Selection,
    apply_changes,
    flavor_usage,
    load_catalogue,
    make_plan,
    read_journal,
    take_inventory,
    undo_entries,
)
from scs_toolkit.simcloud import Faults, SimCloud, SimCloudOptions

PROFILES = ("compliant", "missing-flavors", "overstated-flavors", "bad-image-metadata", "permissive-security-groups")
CATALOGUE = Path(__file__).resolve().parents[1] / "tests" / "fix" / "data" / "images.yml"


def measure(profile: str, selection: Selection, latency_ms: float, folder: Path) -> tuple[int, list[tuple[float, int]]]:
    """Changes planned, and (seconds, API calls) of the plan, the apply and the undo on one profile."""
    options = SimCloudOptions(profile=profile, seed=1, ssh=False, faults=Faults(latency_ms=latency_ms))
    with SimCloud(options) as sim:
        conn = openstack.connect(**sim.connect_kwargs("admin"))
        calls = [0]
        conn.session.session.hooks["response"].append(lambda *a, **k: calls.__setitem__(0, calls[0] + 1))
        figures = []
        started = time.monotonic()
        inventory = take_inventory(conn)
        plan = make_plan(inventory, profile, selection, flavor_usage(conn, inventory.admin))
        figures.append((time.monotonic() - started, calls[0]))
        path = folder / f"{profile}.jsonl"
        journal = Journal(path, Header(profile, sim.url, conn.current_project_id, "now"))
        calls[0], started = 0, time.monotonic()
        apply_changes(conn, plan.changes, journal)
        figures.append((time.monotonic() - started, calls[0]))
        calls[0], started = 0, time.monotonic()
        if path.exists():  # nothing applied, nothing journaled
            undo_entries(conn, read_journal(path)[1], journal)
        figures.append((time.monotonic() - started, calls[0]))
    return len(plan.changes), figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=float, default=50.0, help="injected latency per API request")
    args = parser.parse_args()
    selection = Selection(standards.load_scope("scs-compatible-iaas"), catalogue=load_catalogue(CATALOGUE))
    print(f"latency {args.latency_ms:.0f} ms per API request")
    header = f"{'profile':28} {'changes':>7} {'plan s':>7} {'calls':>6} {'apply s':>8} {'calls':>6} {'undo s':>7} {'calls':>6}"
    print(header)
    with tempfile.TemporaryDirectory() as folder:
        for profile in PROFILES:
            changes, figures = measure(profile, selection, args.latency_ms, Path(folder))
            row = "".join(f" {seconds:7.2f} {count:6d}" for seconds, count in figures)
            print(f"{profile:28} {changes:7d}{row}")


if __name__ == "__main__":
    main()
