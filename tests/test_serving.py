"""Serving helpers shared by every server command (_serving.py)."""

from __future__ import annotations


def test_a_server_freezes_its_start_up_heap_so_full_collections_skip_it() -> None:
    import gc

    from scs_toolkit._serving import freeze_startup_heap

    before = gc.get_freeze_count()
    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()  # this test process keeps collecting as before
