"""Load scope YAML files (bundled or on disk) into `Scope` objects, with errors that say where."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import ValidationError

from ._model import Inclusion, Module, Scope, Testcase, TimelineEntry, Version, VersionState
from ._schema import IncludeSpec, ScopeSpec

#: Bundled scopes by alias; the files are verbatim copies of the official ones.
BUNDLED_SCOPES: dict[str, str] = {
    "scs-compatible-iaas": "scs-compatible-iaas.yaml",
    "scs-compatible-kaas": "scs-compatible-kaas.yaml",
}

_LEGACY_KEYS = {"standards", "deprecated_at", "check_tools"}


class ScopeError(ValueError):
    """A scope file is unreadable or invalid; names the file, the key path and what was expected."""

    def __init__(self, source: str, key: str | None, message: str) -> None:
        self.source = source
        self.key = key
        self.message = message
        super().__init__(f"{source}: {key}: {message}" if key else f"{source}: {message}")


def load_scope(reference: str | Path) -> Scope:
    """Load a scope by bundled alias (`scs-compatible-iaas`), bundled uuid, or file path."""
    text = str(reference)
    if text in BUNDLED_SCOPES:
        return _bundled(text)
    for alias in BUNDLED_SCOPES:
        if _bundled(alias).uuid == text:
            return _bundled(alias)
    path = Path(text)
    if not path.is_file():
        aliases = ", ".join(BUNDLED_SCOPES)
        raise ScopeError(text, None, f"no such scope: not a bundled alias ({aliases}), a bundled uuid, or a file")
    return load_scope_file(path)


def bundled_scopes() -> list[Scope]:
    return [_bundled(alias) for alias in BUNDLED_SCOPES]


@functools.cache
def _bundled(alias: str) -> Scope:
    data = resources.files("scs_toolkit.standards").joinpath("data", "scopes", BUNDLED_SCOPES[alias])
    return parse_scope(data.read_text(encoding="utf-8"), source=alias)


def load_scope_file(path: Path) -> Scope:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScopeError(str(path), None, f"cannot read the file: {error}") from error
    return parse_scope(text, source=str(path))


def parse_scope(text: str, source: str = "<string>") -> Scope:
    """Parse and validate scope YAML text; `source` names it in error messages."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ScopeError(source, None, f"not valid YAML: {error}") from error
    if not isinstance(document, dict):
        raise ScopeError(source, None, f"expected a mapping at the top level, found {type(document).__name__}")
    _reject_legacy_format(document, source)
    try:
        spec = ScopeSpec.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        raise ScopeError(source, _key_path(first["loc"]), _expectation(first)) from None
    return _resolve(spec, source)


def _reject_legacy_format(document: dict[str, Any], source: str) -> None:
    for index, version in enumerate(document.get("versions") or []):
        if isinstance(version, dict) and _LEGACY_KEYS & version.keys():
            legacy = ", ".join(sorted(_LEGACY_KEYS & version.keys()))
            raise ScopeError(
                source,
                f"versions[{index}]",
                f"uses keys of the pre-2024 scope format ({legacy}); this format is no longer supported: "
                "use the current scs-0003 format with scripts, modules, versions[].include and timeline",
            )


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("str", "IncludeSpec", "dict[str,any]"):
            continue  # pydantic names union branches in the location; people don't need them
        else:
            path += f".{part}" if path else str(part)
    return path or "(document)"


def _expectation(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key (check the spelling against scs-0003)"
    if kind == "literal_error":
        return f"{error['msg'].lower()}, found {error['input']!r}"
    return f"{error['msg']}, found {error['input']!r}"


def _resolve(spec: ScopeSpec, source: str) -> Scope:
    testcases: dict[str, Testcase] = {}
    for script_index, script in enumerate(spec.scripts):
        for tc_index, tc in enumerate(script.testcases):
            if tc.id in testcases:
                raise ScopeError(
                    source, f"scripts[{script_index}].testcases[{tc_index}].id", f"duplicate testcase {tc.id!r}"
                )
            testcases[tc.id] = Testcase(
                id=tc.id,
                description=tc.description,
                url=tc.url,
                lifetime=tc.lifetime,
                section=tc.section,
                manual=script.executable is None,
                executable=script.executable,
            )
    modules: dict[str, Module] = {}
    for index, module_spec in enumerate(spec.modules):
        if module_spec.id in modules:
            raise ScopeError(source, f"modules[{index}].id", f"duplicate module {module_spec.id!r}")
        for target, ids in module_spec.targets.items():
            for id_index, tc_id in enumerate(ids):
                if tc_id not in testcases:
                    raise ScopeError(
                        source, f"modules[{index}].targets.{target}[{id_index}]", f"unknown testcase {tc_id!r}"
                    )
        modules[module_spec.id] = Module(
            id=module_spec.id,
            name=module_spec.name,
            url=module_spec.url,
            parameters=MappingProxyType({k: str(v) for k, v in module_spec.parameters.items()}),
            targets=MappingProxyType({name: tuple(ids) for name, ids in module_spec.targets.items()}),
        )
    versions = _resolve_versions(spec, modules, source)
    version_names = {version.name for version in versions}
    timeline = []
    for index, entry in enumerate(spec.timeline):
        for name in entry.versions:
            if name not in version_names:
                raise ScopeError(
                    source, f"timeline[{index}].versions.{name}", "names a version the scope does not define"
                )
        states = {name: VersionState(code) for name, code in entry.versions.items()}
        timeline.append(TimelineEntry(entry.date, MappingProxyType(states)))
    variables: dict[str, str | None] = {}
    for variable in spec.variables:
        if isinstance(variable, str):
            variables[variable] = None
        else:
            variables.update({str(k): None if v is None else str(v) for k, v in variable.items()})
    return Scope(
        uuid=spec.uuid,
        name=spec.name,
        url=spec.url,
        variables=MappingProxyType(variables),
        testcases=MappingProxyType(testcases),
        modules=MappingProxyType(modules),
        versions=tuple(versions),
        timeline=tuple(sorted(timeline, key=lambda e: e.date, reverse=True)),
        source=source,
    )


def _resolve_versions(spec: ScopeSpec, modules: dict[str, Module], source: str) -> list[Version]:
    versions: list[Version] = []
    seen: set[str] = set()
    for index, version_spec in enumerate(spec.versions):
        if version_spec.version in seen:
            raise ScopeError(source, f"versions[{index}].version", f"duplicate version {version_spec.version!r}")
        seen.add(version_spec.version)
        includes = []
        targets: dict[str, set[str]] = {}
        for include_index, include in enumerate(version_spec.include):
            ref, parameters = (include.ref, include.parameters) if isinstance(include, IncludeSpec) else (include, {})
            if ref not in modules:
                raise ScopeError(source, f"versions[{index}].include[{include_index}]", f"unknown module {ref!r}")
            module = modules[ref]
            includes.append(Inclusion(module, MappingProxyType(dict(parameters))))
            for target, ids in module.targets.items():
                targets.setdefault(target, set()).update(ids)
        versions.append(
            Version(
                name=version_spec.version,
                stabilized_at=version_spec.stabilized_at,
                includes=tuple(includes),
                targets=MappingProxyType({name: tuple(sorted(ids)) for name, ids in targets.items()}),
            )
        )
    return versions
