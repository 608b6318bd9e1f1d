"""Remediation: from failing testcases to a plan of changes, applied on request, journaled, reversible.

    inventory = take_inventory(conn)                    # the checks' snapshot + ids, owners, rule templates
    plan = make_plan(inventory, "mycloud", Selection(scope, catalogue=...))   # read-only, any account
    apply_changes(conn, plan.changes, Journal(path, header))                   # admin; idempotent
    undo_entries(conn, read_journal(path)[1], Journal(path, header))          # newest first

Planners per standard live in _flavors (scs-0100/0101/0103), _images (scs-0101/0102), _volume_types
(scs-0114) and _default_rules (scs-0115); what none can fix becomes a step for the operator with the
standard's own words (_texts). A plan proves itself: the projected cloud (_project) is judged again.
"""

from __future__ import annotations

from ._apply import Applied, NeedsAdmin, apply_changes
from ._catalogue import Catalogue, CatalogueError, load_catalogue, parse_catalogue
from ._inventory import Inventory, flavor_usage, take_inventory
from ._journal import Entry, Header, Journal, JournalError, journal_dir, latest_journal, new_journal_path, read_journal
from ._model import Action, Area, Change, OperatorStep, Plan
from ._plan import Selection, make_plan, testcases
from ._report_input import ReportError, SavedReport, load_report
from ._undo import Reverted, to_undo, undo_entries

__all__ = [
    "Action",
    "Applied",
    "Area",
    "Catalogue",
    "CatalogueError",
    "Change",
    "Entry",
    "Header",
    "Inventory",
    "Journal",
    "JournalError",
    "NeedsAdmin",
    "OperatorStep",
    "Plan",
    "ReportError",
    "Reverted",
    "SavedReport",
    "Selection",
    "apply_changes",
    "flavor_usage",
    "journal_dir",
    "latest_journal",
    "load_catalogue",
    "load_report",
    "make_plan",
    "new_journal_path",
    "parse_catalogue",
    "read_journal",
    "take_inventory",
    "testcases",
    "to_undo",
    "undo_entries",
]
