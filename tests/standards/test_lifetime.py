"""Result expiry per testcase lifetime: vectors recorded from the official tooling (scs-0003 lifetimes)."""

from __future__ import annotations

import datetime as dt

import pytest

from scs_toolkit.standards import result_expiry

VECTORS = [
    ("2025-06-04 10:00", ["2025-06-06", "2025-06-16", "2025-08-01", "2025-10-01", "2026-08-01"]),
    ("2025-06-08 23:59", ["2025-06-10", "2025-06-16", "2025-08-01", "2025-10-01", "2026-08-01"]),
    ("2025-11-15 00:00", ["2025-11-17", "2025-11-24", "2026-01-01", "2026-04-01", "2027-01-01"]),
    ("2025-12-31 12:00", ["2026-01-02", "2026-01-12", "2026-02-01", "2026-04-01", "2027-02-01"]),
    ("2025-03-31 00:00", ["2025-04-02", "2025-04-14", "2025-05-01", "2025-07-01", "2026-05-01"]),
]


@pytest.mark.parametrize(("checked", "expiries"), VECTORS)
def test_expiry_vectors(checked: str, expiries: list[str]) -> None:
    checked_at = dt.datetime.fromisoformat(checked)
    for lifetime, expiry in zip(("day", "week", "month", "quarter", "year"), expiries, strict=True):
        assert result_expiry(checked_at, lifetime) == dt.datetime.fromisoformat(expiry), lifetime  # type: ignore[arg-type]
    assert result_expiry(checked_at, None) == result_expiry(checked_at, "week")


def test_timezone_is_kept_and_unknown_lifetime_fails() -> None:
    checked_at = dt.datetime(2025, 6, 4, 10, tzinfo=dt.UTC)
    assert result_expiry(checked_at, "day") == dt.datetime(2025, 6, 6, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="unknown lifetime 'fortnight'"):
        result_expiry(checked_at, "fortnight")  # type: ignore[arg-type]
