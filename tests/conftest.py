"""Every test compiles its contracts afresh: the contracts plugin's reuse of its last compile
(for Fava's reloads) would otherwise let a test that compiles twice compare a compile with
itself. tests/test_compile_reuse.py turns the reuse on to test it."""

from __future__ import annotations

import pytest

from beanbill.plugins import contracts


@pytest.fixture(autouse=True)
def fresh_compiles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contracts, "RECENT_COMPILES", 0)
    contracts.recent.clear()
