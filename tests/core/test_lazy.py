"""``lazy_module``: a large library loaded on first use, not at start."""

from __future__ import annotations

import builtins
import sys

import pytest

from catalogue.core.lazy import lazy_module


def test_a_lazy_module_runs_at_its_first_attribute(tmp_path, monkeypatch):
    (tmp_path / "heavy_library.py").write_text("import builtins\nbuiltins.heavy_runs += 1\nVALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr("builtins.heavy_runs", 0, raising=False)
    monkeypatch.delitem(sys.modules, "heavy_library", raising=False)

    module = lazy_module("heavy_library")
    assert builtins.heavy_runs == 0  # type: ignore[attr-defined]
    assert module.VALUE == 42
    assert builtins.heavy_runs == 1  # type: ignore[attr-defined]
    assert lazy_module("heavy_library") is sys.modules["heavy_library"]
    assert builtins.heavy_runs == 1  # type: ignore[attr-defined]
    del sys.modules["heavy_library"]
    with pytest.raises(ModuleNotFoundError):
        lazy_module("no_such_library_here")
