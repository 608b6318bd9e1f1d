"""Images: scs-0102 properties (and scs-0101's `hw_rng_model`), and scs-0102's one-generic-image rule.

A property is set only where the check says it is missing or wrong, and only to a value that makes
the check pass (judged on the image with the value, before anything is planned). Values come from
the image itself where they can: `hw_rng_model=virtio` (the only value scs-0101/0102 accept),
`min_disk` from the image's (virtual) size, `architecture` from an unambiguous `amd64`/`arm64` in its
source URL or name. Everything else, and `architecture` otherwise, comes from the catalogue the
operator gives (the OSISM image-manager format). `os_hash_algo` is Glance's own: it cannot be set.
Of several generic images of one distro version, all but the newest become `oldgeneric`.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..checks import Status
from ..checks.iaas.scs_0102 import parse_date
from ..collect import IaasSnapshot, Image
from ._catalogue import Match
from ._context import Context, Proposal, judge, judge_images
from ._model import Action, Change, OperatorStep, frozen
from ._project import with_image_values
from ._texts import guidance

UNIQUENESS = "scs-0102-os_purpose-uniqueness"
RNG_TESTCASE = "scs-0101-image-property"
_GIB = 2**30
_ARCH_TOKENS = {
    "x86_64": "x86_64",
    "amd64": "x86_64",
    "aarch64": "aarch64",
    "arm64": "aarch64",
}
_TOKEN = re.compile(r"[^a-z0-9_]+")


def property_of(testcase: str) -> str | None:
    if testcase == RNG_TESTCASE:
        return "hw_rng_model"
    if testcase.startswith("scs-0102-prop-"):
        return testcase.removeprefix("scs-0102-prop-")
    return None


@dataclass
class _Pending:
    """What the plan sets on one image so far, and which testcases that fixes."""

    image: Image
    values: dict[str, Any] = field(default_factory=dict)
    fixes: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)


def plan(ctx: Context) -> Proposal:
    proposal = Proposal()
    images = ctx.snapshot.images
    if images is None:
        return proposal
    testcases = [tc for tc in ctx.outcomes if property_of(tc) and ctx.failing(tc)]
    pending: dict[str, _Pending] = {}
    for image in images:
        if image.visibility not in ("public", "community") or not testcases:
            continue
        failing = [tc for tc, o in judge_images(ctx.snapshot, (image,), testcases).items() if o.status is Status.FAIL]
        if failing:
            _properties(ctx, image, failing, pending, proposal)
    if ctx.failing(UNIQUENESS):
        _uniqueness(ctx, pending)
    for item in pending.values():
        if item.values:
            proposal.changes.append(_change(ctx, item))
    return proposal


def _properties(
    ctx: Context, image: Image, failing: list[str], pending: dict[str, _Pending], proposal: Proposal
) -> None:
    match = ctx.catalogue.match(image.name) if ctx.catalogue is not None else None
    by_property: dict[str, list[str]] = {}
    for tc in failing:
        by_property.setdefault(str(property_of(tc)), []).append(tc)
    item = pending.setdefault(image.id, _Pending(image))
    unresolved: dict[str, list[tuple[str, list[str]]]] = {}  # why -> [(property, testcases)]
    for prop, tcs in sorted(by_property.items()):
        value, source = _resolve(ctx, image, prop, match)
        if value is None:
            unresolved.setdefault(source, []).append((prop, tcs))
            continue
        outcomes = judge_images(ctx.snapshot, (with_image_values(image, {prop: value}),), tcs)
        still = {
            tc: "; ".join(f.message for f in o.findings) or o.reason
            for tc, o in outcomes.items()
            if o.status is not Status.PASS
        }
        if still:
            detail = "; ".join(f"{tc}: {reason}" for tc, reason in still.items())
            unresolved.setdefault(f"the value {value!r} ({source}) would not pass: {detail}", []).append((prop, tcs))
            continue
        item.values[prop] = value
        item.fixes += tcs
        item.sources[prop] = source
    for why, props in unresolved.items():
        proposal.steps.append(_step(image, [p for p, _ in props], [tc for _, tcs in props for tc in tcs], why))


def _resolve(ctx: Context, image: Image, prop: str, match: Match | None) -> tuple[Any, str]:
    """The value to set and where it comes from; (None, why not) if there is none."""
    catalogue_props = match.properties if match is not None else {}
    if prop == "hash_algo":
        return None, "Glance computes os_hash_algo when the image is uploaded and never lets it be changed"
    if prop == "hw_rng_model":
        return "virtio", "derived: the only value scs-0101/scs-0102 accept"
    if prop == "min_disk":
        detail = ctx.inventory.images.get(image.id)
        size = max(image.size or 0, (detail.virtual_size or 0) if detail else 0)
        needed = max(1, math.ceil(size / _GIB))
        if match is not None and match.image.min_disk >= needed:
            return match.image.min_disk, f"catalogue entry {match.image.name}"
        return needed, f"derived from the image's {'virtual ' if detail and detail.virtual_size else ''}size"
    if prop == "min_ram":
        if match is not None and match.image.min_ram > 0:
            return match.image.min_ram, f"catalogue entry {match.image.name}"
        return None, _missing(ctx, image, match, "cannot be derived (how much RAM the OS needs to boot)")
    if prop in catalogue_props:
        return catalogue_props[prop], f"catalogue entry {match.image.name if match else ''}"
    if prop == "architecture":
        derived = _architecture(image)
        if derived is not None:
            return derived, "derived from the image's source URL or name"
    return None, _missing(ctx, image, match, "cannot be derived from the image")


def _missing(ctx: Context, image: Image, match: Match | None, cannot: str) -> str:
    if ctx.catalogue is None:
        return f"{cannot}; no image catalogue was given (--image-catalogue FILE, the OSISM image-manager format)"
    if match is None:
        return (
            f"{cannot}; the catalogue {ctx.catalogue.source} has no entry named for {image.name!r} "
            "(NAME, or NAME (VERSION) with multi: true, NAME VERSION otherwise)"
        )
    return f"{cannot}; the catalogue entry {match.image.name!r} does not give it"


def _architecture(image: Image) -> str | None:
    """x86_64 or aarch64 if the source URL and name name exactly one of them (`...-cloudimg-amd64.img`)."""
    text = f"{image.properties.get('image_source', '')} {image.name}".lower().replace("x86-64", "x86_64")
    found = {_ARCH_TOKENS[token] for token in _TOKEN.split(text) if token in _ARCH_TOKENS}
    return found.pop() if len(found) == 1 else None


def _step(image: Image, props: list[str], testcases: list[str], why: str) -> OperatorStep:
    text = guidance(testcases[0])
    listed = ", ".join(props)
    if text is not None and props == ["hash_algo"]:
        what = text.what
    else:
        example = " ".join(f"--property {p}=VALUE" for p in props)
        what = (
            f"Set them (`openstack image set {example} {image.id}`), or describe the image in the catalogue "
            "(--image-catalogue FILE)."
        )
    return OperatorStep(
        "scs-0101" if testcases == [RNG_TESTCASE] else "scs-0102",
        tuple(testcases),
        image.name,
        f"{listed}: {why}",
        what,
        text.quote if text else None,
    )


def _built(image: Image) -> tuple[float, str]:
    moment = parse_date(image.properties.get("image_build_date")) or parse_date(image.created_at)
    return (moment.timestamp() if moment else 0.0), image.id


def _uniqueness(ctx: Context, pending: dict[str, _Pending]) -> None:
    """Keep the newest generic image of each distro version generic; the older ones become oldgeneric."""
    images = tuple(
        with_image_values(i, pending[i.id].values) if i.id in pending else i for i in ctx.snapshot.images or ()
    )
    groups: dict[tuple[str, str, str], list[Image]] = {}
    for image in images:
        props = image.properties
        if image.visibility != "public" or image.hidden or props.get("os_purpose") != "generic":
            continue
        if props.get("os_distro") and props.get("os_version"):
            key = (props.get("architecture", ""), props["os_distro"], props["os_version"])
            groups.setdefault(key, []).append(image)
    for group in groups.values():
        if len(group) < 2:
            continue
        newest = max(group, key=_built)
        for image in group:
            if image is newest:
                continue
            original = next(i for i in ctx.snapshot.images or () if i.id == image.id)
            item = pending.setdefault(image.id, _Pending(original))
            item.values["os_purpose"] = "oldgeneric"
            item.fixes.append(UNIQUENESS)
            item.sources["os_purpose"] = f"an older generic image than {newest.name} ({newest.id})"
    after = tuple(with_image_values(i, pending[i.id].values) if i.id in pending else i for i in images)
    verdict = judge(_replace_images(ctx, after), [UNIQUENESS])[UNIQUENESS]
    if verdict.status is not Status.PASS:  # nothing to promise; the plan's verification reports what remains
        for item in pending.values():
            item.fixes = [tc for tc in item.fixes if tc != UNIQUENESS]


def _replace_images(ctx: Context, images: tuple[Image, ...]) -> IaasSnapshot:
    return dataclasses.replace(ctx.snapshot, images=images)


def _change(ctx: Context, item: _Pending) -> Change:
    image = item.image
    current: Mapping[str, Any] = {
        k: (getattr(image, k) if k in ("min_disk", "min_ram") else image.properties.get(k)) for k in item.values
    }
    owner = ctx.inventory.images.get(image.id)
    own = owner is not None and owner.owner is not None and owner.owner == ctx.inventory.project_id
    shown = ", ".join(f"{k}={v}" for k, v in item.values.items())
    sources = "; ".join(f"{k}: {s}" for k, s in item.sources.items())
    return Change(
        Action.SET_IMAGE_PROPERTIES,
        "scs-0101" if set(item.fixes) == {RNG_TESTCASE} else "scs-0102",
        image.name,
        image.id,
        tuple(dict.fromkeys(item.fixes)),
        f"set on image {image.name}: {shown}",
        frozen(current),
        frozen(item.values),
        needs_admin=not own,
        note=sources,
    )
