"""The wire format: SCS Status Page API 1.1.2 objects (camelCase, `{"data": ...}` wrapping) and our
additive extensions (RCA, uptime, ingest, proposals, audit).

Requests are read leniently where the reference server is (unknown and read-only fields such as
`id`, `updates` or `activelyAffectedBy` are ignored, scs-0402) and strictly where it matters: numbers
must be JSON integers, moments RFC 3339 strings, texts bounded and free of control characters.
Responses leave out what is unset (as the reference server's generated code does).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt
from pydantic.alias_generators import to_camel

from .._time import aware
from ..monitor import names

NAME_MAX = 256
DESCRIPTION_MAX = 20_000
LABELS_MAX = 32
LABEL_KEY_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?$"
LABEL_VALUE_MAX = 256
AFFECTS_MAX = 200
PHASES_MAX = 50
SEVERITY_NAME_MAX = 128
URL_MAX = 2048


def _moment(value: Any) -> Any:
    """RFC 3339 strings only: pydantic would also take numbers as Unix times."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):  # built in Python (JSON has no such type)
        return aware(value)
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError("must be an RFC 3339 date-time string such as 2026-01-31T12:00:00Z")
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an RFC 3339 date-time (e.g. 2026-01-31T12:00:00Z)") from None
    moment = aware(moment)
    if not 2000 <= moment.year <= 2999:
        raise ValueError("must lie between the years 2000 and 2999")
    return moment


def _text(max_length: int, multiline: bool) -> AfterValidator:
    def check(value: str) -> str:
        try:
            return names.require_text(value, "text", max_length, multiline=multiline)
        except names.InvalidName as error:
            raise ValueError(str(error).removeprefix("text ")) from None

    return AfterValidator(check)


def _labels(value: dict[str, str]) -> dict[str, str]:
    if len(value) > LABELS_MAX:
        raise ValueError(f"at most {LABELS_MAX} labels")
    for key, item in value.items():
        if re.fullmatch(LABEL_KEY_PATTERN, key) is None:
            raise ValueError(f"label key {key[:80]!r}: letters, digits, '.', '_', '/', '-', at most 63")
        try:
            names.require_text(item, f"label {key}", LABEL_VALUE_MAX)
        except names.InvalidName as error:
            raise ValueError(str(error)) from None
    return value


Moment = Annotated[dt.datetime, BeforeValidator(_moment)]
DisplayName = Annotated[str, _text(NAME_MAX, multiline=False)]
Description = Annotated[str, _text(DESCRIPTION_MAX, multiline=True)]
SeverityName = Annotated[str, _text(SEVERITY_NAME_MAX, multiline=False), Field(min_length=1)]
SeverityValue = Annotated[StrictInt, Field(ge=0, le=100)]
Incremental = Annotated[StrictInt, Field(ge=0)]
Labels = Annotated[dict[str, str], AfterValidator(_labels)]


class Wire(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields ignored (scs-0402: read-only fields)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


# ---- requests ----------------------------------------------------------------------------------


class PhaseListRequest(Wire):
    phases: Annotated[list[Annotated[DisplayName, Field(min_length=1)]], Field(min_length=1, max_length=PHASES_MAX)]


class ImpactTypeRequest(Wire):
    display_name: DisplayName | None = None
    description: Description | None = None


class SeverityRequest(Wire):
    display_name: SeverityName | None = None
    value: SeverityValue | None = None


class ComponentRequest(Wire):
    display_name: DisplayName | None = None
    labels: Labels | None = None


class PhaseReference(Wire):
    generation: Incremental
    order: Incremental


class ImpactRequest(Wire):
    reference: uuid.UUID
    type: uuid.UUID
    severity: SeverityValue


class IncidentRequest(Wire):
    display_name: DisplayName | None = None
    description: Description | None = None
    began_at: Moment | None = None
    ended_at: Moment | None = None
    phase: PhaseReference | None = None
    affects: Annotated[list[ImpactRequest], Field(max_length=AFFECTS_MAX)] | None = None


class IncidentUpdateRequest(Wire):
    display_name: DisplayName | None = None
    description: Description | None = None
    created_at: Moment | None = None


# ---- responses ---------------------------------------------------------------------------------

UtcMoment = Annotated[dt.datetime, AfterValidator(aware)]
T = TypeVar("T")


class Data(Wire, Generic[T]):
    """Every read answer of 1.1.2: `{"data": ...}`."""

    data: T


class IdResponse(Wire):
    id: uuid.UUID


class GenerationResponse(Wire):
    generation: int


class OrderResponse(Wire):
    order: int


class PhaseList(Wire):
    generation: int
    phases: list[str]


class ImpactTypeOut(Wire):
    id: uuid.UUID
    display_name: str
    description: str


class SeverityOut(Wire):
    display_name: str
    value: int


class Impact(Wire):
    """In an incident's `affects`, `reference` is a component; in `activelyAffectedBy` an incident."""

    reference: uuid.UUID
    type: uuid.UUID
    severity: int


class ComponentOut(Wire):
    id: uuid.UUID
    display_name: str
    labels: dict[str, str]
    actively_affected_by: list[Impact]


class IncidentOut(Wire):
    id: uuid.UUID
    display_name: str
    description: str
    began_at: UtcMoment | None = None
    ended_at: UtcMoment | None = None
    phase: PhaseReference | None = None
    affects: list[Impact]
    updates: list[int]


class IncidentUpdateOut(Wire):
    order: int
    display_name: str
    description: str
    created_at: UtcMoment | None = None


# ---- extensions --------------------------------------------------------------------------------

RCA_FIELDS = (
    "summary",
    "customer_impact",
    "detection",
    "timeline",
    "root_cause",
    "corrective_actions",
    "preventive_actions",
)


class RcaRequest(Wire):
    """A structured root-cause analysis (Markdown texts); `published` makes it public."""

    summary: Description = ""
    customer_impact: Description = ""
    detection: Description = ""
    timeline: Description = ""
    root_cause: Description = ""
    corrective_actions: Description = ""
    preventive_actions: Description = ""
    published: bool = False


class RcaOut(RcaRequest):
    incident: uuid.UUID
    published_at: UtcMoment | None = None
    author: str
    updated_at: UtcMoment


class UptimeOut(Wire):
    component: uuid.UUID
    start: UtcMoment
    end: UtcMoment
    include_maintenance: bool
    #: Seconds of the range in each state: a severity's name, "maintenance", "unknown", or "none" (no impact).
    seconds: dict[str, float]
    #: Share of the measured time (maintenance left out unless included) the component was not in its worst band.
    uptime: float | None
    #: Share of the measured time without any impact at all.
    unaffected: float | None


class HealthSymptom(Wire):
    """One firing health alert: its rule (the symptom), what it says, and since when it fires."""

    symptom: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$")]
    title: DisplayName | None = None
    message: Description
    since: Moment
    severity: SeverityValue | None = None
    impact_type: DisplayName | None = None


class HealthIteration(Wire):
    number: Annotated[StrictInt, Field(ge=0)]
    started_at: Moment
    ok: bool
    failures: Annotated[list[Description], Field(max_length=50)] = []


class HealthReport(Wire):
    """What the health monitor sends after each iteration of one cloud (POST /ingest/healthmon)."""

    cloud: Annotated[str, Field(pattern=names.SUBJECT_PATTERN)]
    iteration: HealthIteration
    firing: Annotated[list[HealthSymptom], Field(max_length=100)] = []
    evidence_url: Annotated[str, Field(max_length=URL_MAX, pattern=r"^https?://")] | None = None
    dashboard_url: Annotated[str, Field(max_length=URL_MAX, pattern=r"^https?://")] | None = None
    #: "open": incidents go public at once; "propose": a person confirms them first.
    mode: Annotated[str, Field(pattern=r"^(open|propose)$")] = "open"
    #: Clean iterations (the symptom gone) after which the incident resolves.
    resolve_after: Annotated[StrictInt, Field(ge=1, le=1000)] = 3


class IngestOut(Wire):
    #: What could not be done, e.g. no component is labelled cloud=NAME (the bridge logs these).
    problems: list[str] = []
    opened: list[uuid.UUID] = []
    proposed: list[uuid.UUID] = []
    updated: list[uuid.UUID] = []
    resolved: list[uuid.UUID] = []


class ProposalOut(IncidentOut):
    source: str
    owner: str


class AuditOut(Wire):
    id: int
    at: UtcMoment
    actor: str
    action: str
    entity: str
    entity_id: str
    before: Any = None
    after: Any = None
