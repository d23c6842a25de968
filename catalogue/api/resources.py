"""Imports every API resource module so that their routes are registered."""

import importlib

for _name in ("frameworks", "apps"):
    try:
        importlib.import_module(f"catalogue.api.{_name}")
    except ModuleNotFoundError as exc:  # resource not written yet
        if exc.name != f"catalogue.api.{_name}":
            raise
