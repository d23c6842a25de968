"""The checks of a framework file: every field of the framework, its categories and its
requirements, with every problem collected in French instead of stopping at the first."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from catalogue.frameworks.specs import CategorySpec, FrameworkSpec, RequirementSpec
from catalogue.frameworks.vocabulary import (
    COMPLIANCE_OUTCOMES,
    DEFAULT_COMPLIANCE_OUTCOME,
    EVIDENCE_KINDS,
    PREDICATES,
    TRACK_DAYS_MAX,
    TRACK_KINDS,
)

FRAMEWORK_KEYS = (
    "code",
    "version",
    "title",
    "title_en",
    "effective_from",
    "compliance_deadline",
    "categories",
    "requirements",
)
# Optional: a file without them keeps the defaults (no track, suspension at the deadline).
OPTIONAL_FRAMEWORK_KEYS = ("tracks", "on_compliance_deadline")
CATEGORY_KEYS = ("code", "title", "title_en")
REQUIREMENT_KEYS = (
    "code",
    "category",
    "title",
    "title_en",
    "statement",
    "mandatory",
    "applies_if",
    "allow_not_applicable",
    "evidence",
)

FRAMEWORK_CODE_RE = re.compile(r"[A-Z][A-Z0-9]{1,15}")
VERSION_RE = re.compile(r"\d{4}\.[1-9]\d*")
CATEGORY_CODE_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
REQUIREMENT_CODE_RE = re.compile(r"[A-Z]{2,4}-\d{2}")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _clean(value: str) -> str:
    # Line breaks from YAML folding and stray spaces carry no meaning; collapsing them keeps
    # the content hash independent of how the file was wrapped.
    return " ".join(unicodedata.normalize("NFC", value).split())


def _received(value: Any) -> str:
    """Describe a wrong value for an error message: its type, and the value if it is short."""
    kinds = {
        bool: "booléen",
        int: "nombre entier",
        float: "nombre décimal",
        str: "texte",
        list: "liste",
        tuple: "liste",
        dict: "dictionnaire",
    }
    if value is None:
        return "valeur reçue : vide"
    kind = kinds.get(type(value), type(value).__name__)
    shown = repr(value) if not isinstance(value, str) else value
    if len(shown) <= 40 and not isinstance(value, list | tuple | dict):
        return f"valeur reçue : {kind} « {shown} »"
    return f"valeur reçue : {kind}"


class Checker:
    """Walks a parsed framework, collecting every problem instead of stopping at the first."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{where} : {message}")

    # Generic field checks; each returns the cleaned value or None when invalid.

    def keys(self, where: str, data: Mapping[str, Any], expected: tuple[str, ...],
             optional: tuple[str, ...] = ()) -> None:
        for key in expected:
            if key not in data:
                self.error(where, f"champ obligatoire « {key} » absent")
        allowed = (*expected, *optional)
        for key in data:
            if key not in allowed:
                self.error(
                    where, f"champ inconnu « {key} » (champs attendus : {', '.join(allowed)})"
                )

    def text(self, where: str, data: Mapping[str, Any], key: str) -> str | None:
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, str):
            self.error(where, f"« {key} » doit être un texte ({_received(value)})")
            return None
        cleaned = _clean(value)
        if not cleaned:
            self.error(where, f"« {key} » est vide")
            return None
        return cleaned

    def boolean(self, where: str, data: Mapping[str, Any], key: str) -> bool | None:
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, bool):
            self.error(where, f"« {key} » doit valoir true ou false ({_received(value)})")
            return None
        return value

    def a_date(self, where: str, data: Mapping[str, Any], key: str) -> date | None:
        if key not in data:
            return None
        value = data[key]
        if isinstance(value, datetime):
            self.error(where, f"« {key} » doit être une date sans heure (AAAA-MM-JJ)")
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str) and DATE_RE.fullmatch(value.strip()):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                self.error(where, f"« {key} » : date inexistante « {value} »")
                return None
        self.error(where, f"« {key} » doit être une date au format AAAA-MM-JJ ({_received(value)})")
        return None

    def code_list(
        self,
        where: str,
        data: Mapping[str, Any],
        key: str,
        known: Mapping[str, Any],
        noun: str,
    ) -> tuple[str, ...] | None:
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, list | tuple):
            self.error(where, f"« {key} » doit être une liste ({_received(value)})")
            return None
        result: list[str] = []
        valid = True
        for item in value:
            if not isinstance(item, str):
                self.error(where, f"« {key} » : {noun} « {item} » n'est pas un texte")
                valid = False
            elif item not in known:
                self.error(where, f"« {key} » : {noun} inconnu « {item} »")
                valid = False
            elif item in result:
                self.error(where, f"« {key} » : {noun} « {item} » répété")
                valid = False
            else:
                result.append(item)
        return tuple(result) if valid else None

    def sequence(self, where: str, data: Mapping[str, Any], key: str) -> list[Any] | None:
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, list | tuple):
            self.error(where, f"« {key} » doit être une liste ({_received(value)})")
            return None
        if not value:
            self.error(where, f"« {key} » est vide")
            return None
        return list(value)

    # The document itself.

    def framework(self, data: Any) -> FrameworkSpec | None:
        where = "référentiel"
        if not isinstance(data, Mapping):
            self.error(
                where,
                f"le fichier doit décrire un dictionnaire (code, version, …), ({_received(data)})",
            )
            return None
        self.keys(where, data, FRAMEWORK_KEYS, OPTIONAL_FRAMEWORK_KEYS)

        code = self.text(where, data, "code")
        if code is not None and not FRAMEWORK_CODE_RE.fullmatch(code):
            self.error(where, f"code « {code} » invalide (majuscules et chiffres, ex. ENS)")
            code = None
        version = self.version(data)
        title = self.text(where, data, "title")
        title_en = self.text(where, data, "title_en")
        effective_from = self.a_date(where, data, "effective_from")
        deadline: date | None = None
        if data.get("compliance_deadline") is not None:
            deadline = self.a_date(where, data, "compliance_deadline")
            if deadline and effective_from and deadline < effective_from:
                self.error(
                    where,
                    f"« compliance_deadline » ({deadline.isoformat()}) est antérieure à "
                    f"« effective_from » ({effective_from.isoformat()})",
                )

        tracks = self.tracks(data)
        outcome = self.compliance_outcome(data)
        categories, declared = self.categories(data)
        requirements = self.requirements(data, declared)

        if self.errors:
            return None
        assert code and version and title and title_en and effective_from
        assert categories is not None and requirements is not None
        return FrameworkSpec(
            code=code,
            version=version,
            title=title,
            title_en=title_en,
            effective_from=effective_from,
            compliance_deadline=deadline,
            categories=categories,
            requirements=requirements,
            tracks=tracks,
            on_compliance_deadline=outcome,
        )

    def tracks(self, data: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
        """``tracks:`` dossier kind → review days, in the vocabulary's order."""
        where = "référentiel"
        value = data.get("tracks")
        if value is None:
            return ()
        if not isinstance(value, Mapping):
            self.error(where, f"« tracks » doit associer un type de dossier à un nombre de jours "
                              f"({_received(value)})")
            return ()
        for kind, days in value.items():
            if kind not in TRACK_KINDS:
                self.error(where, f"« tracks » : type de dossier inconnu « {kind} » "
                                  f"(types attendus : {', '.join(TRACK_KINDS)})")
            elif isinstance(days, bool) or not isinstance(days, int) \
                    or not 1 <= days <= TRACK_DAYS_MAX:
                self.error(where, f"« tracks » : la durée d'instruction « {kind} » doit être un "
                                  f"nombre entier de jours entre 1 et {TRACK_DAYS_MAX} "
                                  f"({_received(days)})")
        return tuple((kind, value[kind]) for kind in TRACK_KINDS if kind in value)

    def compliance_outcome(self, data: Mapping[str, Any]) -> str:
        """``on_compliance_deadline:`` the listing state at the compliance deadline."""
        value = data.get("on_compliance_deadline")
        if value is None:
            return DEFAULT_COMPLIANCE_OUTCOME
        if not isinstance(value, str) or value not in COMPLIANCE_OUTCOMES:
            self.error("référentiel", f"« on_compliance_deadline » doit valoir "
                                      f"{' ou '.join(COMPLIANCE_OUTCOMES)} ({_received(value)})")
            return DEFAULT_COMPLIANCE_OUTCOME
        return str(value)

    def version(self, data: Mapping[str, Any]) -> str | None:
        where = "référentiel"
        if "version" not in data:
            return None
        value = data["version"]
        if isinstance(value, int | float) and not isinstance(value, bool):
            # An unquoted 2026.10 reads as the number 2026.1: the quotes are required.
            self.error(
                where,
                f"« version » doit être un texte entre guillemets (lu comme le nombre {value})",
            )
            return None
        version = self.text(where, data, "version")
        if version is not None and not VERSION_RE.fullmatch(version):
            self.error(
                where, f"« version » « {version} » invalide : format attendu AAAA.N (ex. 2026.1)"
            )
            return None
        return version

    def categories(
        self, data: Mapping[str, Any]
    ) -> tuple[tuple[CategorySpec, ...] | None, set[str] | None]:
        """Return the valid categories (None if any is invalid) and every code declared."""
        items = self.sequence("référentiel", data, "categories")
        if items is None:
            return None, None
        result: list[CategorySpec] = []
        seen: set[str] = set()
        valid = True
        for index, item in enumerate(items, start=1):
            where = f"catégorie n° {index}"
            if not isinstance(item, Mapping):
                self.error(where, f"doit être un dictionnaire ({_received(item)})")
                valid = False
                continue
            raw_code = item.get("code")
            if isinstance(raw_code, str) and raw_code.strip():
                where = f"catégorie « {raw_code.strip()} »"
            errors_before = len(self.errors)
            self.keys(where, item, CATEGORY_KEYS)
            code = self.text(where, item, "code")
            if code is not None:
                if not CATEGORY_CODE_RE.fullmatch(code):
                    self.error(where, "code invalide (minuscules, chiffres et _, ex. security)")
                elif code in seen:
                    self.error(where, "code de catégorie en double")
                seen.add(code)
            title = self.text(where, item, "title")
            title_en = self.text(where, item, "title_en")
            if len(self.errors) > errors_before:
                valid = False
                continue
            assert code and title and title_en
            result.append(CategorySpec(code=code, title=title, title_en=title_en))
        # A category with a faulty title still counts as declared, so that its requirements
        # are not also reported as having an unknown category.
        return (tuple(result) if valid else None), seen

    def requirements(
        self, data: Mapping[str, Any], declared: set[str] | None
    ) -> tuple[RequirementSpec, ...] | None:
        items = self.sequence("référentiel", data, "requirements")
        if items is None:
            return None
        result: list[RequirementSpec] = []
        seen: set[str] = set()
        valid = True
        for position, item in enumerate(items, start=1):
            spec = self.requirement(position, item, declared, seen)
            if spec is None:
                valid = False
            else:
                result.append(spec)
        return tuple(result) if valid else None

    def requirement(
        self, position: int, item: Any, declared: set[str] | None, seen: set[str]
    ) -> RequirementSpec | None:
        where = f"exigence n° {position}"
        if not isinstance(item, Mapping):
            self.error(where, f"doit être un dictionnaire ({_received(item)})")
            return None
        raw_code = item.get("code")
        if isinstance(raw_code, str) and raw_code.strip():
            where = f"exigence {raw_code.strip()}"
        errors_before = len(self.errors)
        self.keys(where, item, REQUIREMENT_KEYS)

        code = self.text(where, item, "code")
        if code is not None:
            if not REQUIREMENT_CODE_RE.fullmatch(code):
                self.error(
                    where,
                    "code invalide : format attendu de 2 à 4 majuscules, un tiret "
                    "et 2 chiffres (ex. SEC-03)",
                )
            elif code in seen:
                self.error(where, "code d'exigence en double")
            seen.add(code)
        category = self.text(where, item, "category")
        if category is not None and declared is not None and category not in declared:
            self.error(where, f"catégorie inconnue « {category} »")
        title = self.text(where, item, "title")
        title_en = self.text(where, item, "title_en")
        statement = self.text(where, item, "statement")
        mandatory = self.boolean(where, item, "mandatory")
        applies_if = self.code_list(where, item, "applies_if", PREDICATES, "prédicat")
        allow_not_applicable = self.boolean(where, item, "allow_not_applicable")
        evidence = self.code_list(where, item, "evidence", EVIDENCE_KINDS, "type de pièce")

        if len(self.errors) > errors_before:
            return None
        assert code and category and title and title_en and statement
        assert mandatory is not None and allow_not_applicable is not None
        assert applies_if is not None and evidence is not None
        return RequirementSpec(
            code=code,
            category=category,
            title=title,
            title_en=title_en,
            statement=statement,
            mandatory=mandatory,
            applies_if=_canonical_predicates(applies_if),
            allow_not_applicable=allow_not_applicable,
            evidence=evidence,
            position=position,
        )


def _canonical_predicates(codes: Iterable[str]) -> tuple[str, ...]:
    # applies_if is a conjunction: its order carries no meaning, so it is stored in the
    # questionnaire's order and reordering a file does not change its content hash.
    wanted = set(codes)
    return tuple(code for code in PREDICATES if code in wanted)
