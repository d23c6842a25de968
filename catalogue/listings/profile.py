"""The decided profile: the assessed facts a listing shows, read from the snapshot of
the dossier whose decision is in force (DESIGN §4 "The decision governs").

Never from the live ``App`` row: a publisher edits that, and an edit of an assessed
fact only becomes public through a dossier's favourable decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DecidedProfile:
    """The assessed facts of a listed app, as decided."""

    audiences: tuple[str, ...]
    platforms: tuple[str, ...]
    data_categories: tuple[str, ...]
    hosting_provider: str
    hds_certified: bool
    hds_certificate_ref: str
    is_medical_device: bool
    medical_device_class: str | None
    connected_services: tuple[str, ...]
    predicates: tuple[str, ...]

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any] | None) -> DecidedProfile:
        """From a dossier's ``profile_snapshot`` (missing keys read as empty)."""
        snap = snapshot or {}

        def codes(key: str) -> tuple[str, ...]:
            return tuple(snap.get(key) or ())

        medical = bool(snap.get("is_medical_device"))
        return cls(
            audiences=codes("audiences"), platforms=codes("platforms"),
            data_categories=codes("data_categories"),
            hosting_provider=snap.get("hosting_provider") or "",
            hds_certified=bool(snap.get("hds_certified")),
            hds_certificate_ref=snap.get("hds_certificate_ref") or "",
            is_medical_device=medical,
            medical_device_class=(snap.get("medical_device_class") or None) if medical else None,
            connected_services=codes("connected_services"), predicates=codes("predicates"),
        )
