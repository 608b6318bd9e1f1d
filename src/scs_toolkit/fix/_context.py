"""What every planner gets: the inventory, the live outcome of each selected testcase, the catalogue."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ..checks import Outcome, Status, evaluate
from ..collect import IaasSnapshot, Image
from ._catalogue import Catalogue
from ._inventory import Inventory
from ._model import Change, OperatorStep


@dataclass(frozen=True)
class Context:
    inventory: Inventory
    #: Outcome per selected snapshot testcase, judged on the live cloud just now.
    outcomes: Mapping[str, Outcome]
    catalogue: Catalogue | None = None
    #: How many servers (of all projects) use a flavor; None when the account may not tell.
    servers_using: Callable[[str], int | None] = field(default=lambda flavor_id: None, compare=False)

    @property
    def snapshot(self) -> IaasSnapshot:
        return self.inventory.snapshot

    def failing(self, testcase: str) -> bool:
        outcome = self.outcomes.get(testcase)
        return outcome is not None and outcome.status is Status.FAIL

    def failing_among(self, prefix: str) -> list[str]:
        return sorted(tc for tc in self.outcomes if tc.startswith(prefix) and self.failing(tc))

    def selected(self, testcase: str) -> bool:
        return testcase in self.outcomes


@dataclass
class Proposal:
    """What one planner proposes: changes it can make, steps it leaves to the operator."""

    changes: list[Change] = field(default_factory=list)
    steps: list[OperatorStep] = field(default_factory=list)
    #: What the planner could not see (and so could not plan for).
    notes: list[str] = field(default_factory=list)

    def extend(self, other: Proposal) -> None:
        self.changes += other.changes
        self.steps += other.steps
        self.notes += other.notes


def judge(snapshot: IaasSnapshot, testcases: Iterable[str]) -> dict[str, Outcome]:
    """The snapshot checks' outcomes (no probe: planning never creates anything)."""
    return evaluate(snapshot, list(testcases), None)


def judge_images(snapshot: IaasSnapshot, images: tuple[Image, ...], testcases: Iterable[str]) -> dict[str, Outcome]:
    """The outcomes on a snapshot that holds only `images` (to tell which image breaks which rule)."""
    return judge(dataclasses.replace(snapshot, images=images), testcases)
