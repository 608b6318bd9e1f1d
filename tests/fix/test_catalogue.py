"""The image catalogue in the OSISM image-manager format: names and properties as the image manager makes them,
and every malformed file refused with the place of each problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from scs_toolkit.fix import CatalogueError, load_catalogue, parse_catalogue
from tests.conftest import PROJECT_ROOT

DATA = PROJECT_ROOT / "tests" / "fix" / "data" / "images.yml"

ENTRY = """
images:
  - name: Cirros
    format: qcow2
    login: cirros
    min_disk: 1
    min_ram: 128
    status: active
    visibility: public
    multi: false
    meta:
      architecture: x86_64
      os_distro: cirros
      replace_frequency: never
    tags: []
    versions:
      - version: 0.6.2
        url: https://github.com/cirros-dev/cirros/releases/download/0.6.2/cirros-0.6.2-x86_64-disk.img
        build_date: 2023-05-30
      - version: 0.6.3
        url: https://github.com/cirros-dev/cirros/releases/download/0.6.3/cirros-0.6.3-x86_64-disk.img
        build_date: 2024-09-26
        meta:
          image_description: CirrOS 0.6.3
"""


def test_the_bundled_test_catalogue_names_and_properties() -> None:
    catalogue = load_catalogue(DATA)
    assert [i.name for i in catalogue.images] == ["Rocky 9", "Alpine 3.20"]
    newest = catalogue.match("Alpine 3.20")  # multi: the newest version carries the plain name
    assert newest is not None and newest.version.version == "3.20.3"
    older = catalogue.match("Alpine 3.20 (3.20.2)")
    assert older is not None and older.properties["image_build_date"] == "2024-07-22"
    props = dict(newest.properties)
    assert props["image_source"].endswith("alpine-3.20.3-x86_64-bios-cloudinit-r0.qcow2")
    assert props["image_original_user"] == "alpine"
    assert props["image_description"] == "Alpine 3.20"  # the image manager's default: the name
    assert props["os_version"] == "3.20" and props["replace_frequency"] == "quarterly"
    assert catalogue.match("Alpine 3.20 3.20.3") is None  # that is how a non-multi image would be named


def test_not_multi_versions_are_named_and_versioned_by_the_version() -> None:
    catalogue = parse_catalogue(ENTRY)
    match = catalogue.match("Cirros 0.6.3")
    assert match is not None
    assert match.properties["os_version"] == "0.6.3"
    assert match.properties["image_description"] == "CirrOS 0.6.3"  # a version's meta comes last
    assert catalogue.match("Cirros") is None


def problems(text: str) -> list[str]:
    with pytest.raises(CatalogueError) as raised:
        parse_catalogue(text, "images.yml")
    assert str(raised.value).startswith("images.yml: ")
    return raised.value.problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("images: [", "not YAML: line 1"),
        ("- name: x\n", "expected a mapping with the key `images`"),
        ("images: {}\n", "`images` must be a list"),
        ("images: []\nflavors: []\n", "unknown top-level key(s): flavors"),
        (ENTRY.replace("login: cirros", "logn: cirros"), "images[0] (Cirros): login: missing"),
        (ENTRY.replace("    tags: []", "    tags: []\n    metta: {}"), "images[0] (Cirros): metta: unknown key"),
        (
            ENTRY.replace("replace_frequency: never", "replace_frequency: sometimes"),
            "meta: replace_frequency: 'sometimes' is not one of",
        ),
        (ENTRY.replace("architecture: x86_64", "architecture: amd64"), "meta: architecture: 'amd64' is not one of"),
        (
            ENTRY.replace("build_date: 2023-05-30", "build_date: yesterday"),
            "versions[0].build_date: 'yesterday' is not a date",
        ),
        (ENTRY.replace("format: qcow2", "format: floppy"), "images[0] (Cirros): format:"),
        (ENTRY.replace("min_ram: 128", "min_ram: -1"), "min_ram: Input should be greater than or equal to 0"),
        (ENTRY.replace("multi: false", "multi: maybe"), "multi:"),
        (ENTRY.replace("0.6.3\n", "0.6.2\n"), "version 0.6.2 listed twice"),
        (
            ENTRY.replace("          image_description: CirrOS 0.6.3", "          uuid_validity: someday"),
            "uuid_validity: 'someday'",
        ),
    ],
)
def test_malformed_catalogues_are_refused_with_the_place(text: str, expected: str) -> None:
    found = problems(text)
    assert any(expected in p for p in found), found


def test_every_problem_is_listed_not_just_the_first() -> None:
    text = ENTRY.replace("login: cirros", "").replace("min_disk: 1", "min_disk: lots")
    found = problems(text)
    assert len(found) == 2 and any("login" in p for p in found) and any("min_disk" in p for p in found)


def test_a_directory_of_catalogues(tmp_path: Path) -> None:
    (tmp_path / "cirros.yml").write_text(ENTRY)
    (tmp_path / "more.yaml").write_text(DATA.read_text())
    (tmp_path / "README").write_text("not a catalogue")
    catalogue = load_catalogue(tmp_path)
    assert {i.name for i in catalogue.images} == {"Cirros", "Rocky 9", "Alpine 3.20"}
    (tmp_path / "again.yml").write_text(ENTRY)
    with pytest.raises(CatalogueError) as raised:
        load_catalogue(tmp_path)
    assert "image 'Cirros' is described twice" in raised.value.problems
    with pytest.raises(CatalogueError, match="no such file"):
        load_catalogue(tmp_path / "missing.yml")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CatalogueError, match=r"no \*.yml or \*.yaml files"):
        load_catalogue(empty)
