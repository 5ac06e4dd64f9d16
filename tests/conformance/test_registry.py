"""The bookkeeping of the conformance suite: every upstream test is ported or excluded."""
from __future__ import annotations

import importlib
from pathlib import Path

from registry import EXCLUDED, PENDING, UPSTREAM_TESTS


def _ported() -> dict[str, list[str]]:
    """upstream test -> the conformance tests adapted from it (via ``@upstream``)."""
    found: dict[str, list[str]] = {}
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        module = importlib.import_module(path.stem)
        for name, obj in vars(module).items():
            for upstream in getattr(obj, "__upstream__", ()):
                found.setdefault(upstream, []).append(f"{path.name}::{name}")
    return found


def test_every_upstream_test_is_ported_or_excluded():
    ported = _ported()
    assert set(ported) <= set(UPSTREAM_TESTS), set(ported) - set(UPSTREAM_TESTS)
    assert not set(ported) & set(EXCLUDED), "a test is both ported and excluded"
    missing = set(UPSTREAM_TESTS) - set(ported) - set(EXCLUDED)
    assert not missing, f"neither ported nor excluded: {sorted(missing)}"


def test_every_exclusion_has_a_reason_and_is_not_an_issue_item():
    for name, reason in EXCLUDED.items():
        assert name in UPSTREAM_TESTS
        assert len(reason) > 40, name
    # none of the eight causes of issue 8 may be excluded: those tests are pending instead
    for word in ("proj_size", "gradgrad", "seq_len_zero", "input_size_zero", "dropout"):
        assert not any(word in name for name in EXCLUDED), word


def test_pending_patterns_name_existing_tests():
    files = {p.name for p in Path(__file__).parent.glob("test_*.py")}
    for pattern, item in PENDING.items():
        assert pattern.split("::")[0] in files, pattern
        assert 1 <= item <= 9
