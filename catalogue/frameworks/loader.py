"""Load and validate framework files (`data/*.yaml`) into frozen, typed specifications.

A framework file is checked as a whole before anything is returned: every problem found is
reported at once, in French, naming the requirement or field concerned, so that the author
of a new wave can fix the file in one pass. The checks themselves are in ``validation``; the
specifications they build in ``specs``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from catalogue.frameworks.specs import FrameworkSpec
from catalogue.frameworks.validation import Checker
from catalogue.frameworks.vocabulary import DEFAULT_COMPLIANCE_OUTCOME

DATA_DIR = Path(__file__).parent / "data"


class FrameworkFileError(ValueError):
    """A framework file is invalid; `errors` lists every problem found, in French."""

    def __init__(self, errors: list[str], source: str = "<référentiel>") -> None:
        self.errors = list(errors)
        self.source = source
        super().__init__(self.__str__())

    def __str__(self) -> str:
        count = len(self.errors)
        heading = f"{self.source} : {count} erreur{'s' if count > 1 else ''}"
        return "\n".join([heading, *(f"  - {error}" for error in self.errors)])


def load_framework_file(path: str | Path) -> FrameworkSpec:
    """Read, parse and validate the framework file at `path`.

    Raises FrameworkFileError listing every problem, including an unreadable file.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FrameworkFileError(
            [f"le fichier n'est pas encodé en UTF-8 (octet {exc.start})"], str(path)
        ) from exc
    except OSError as exc:
        raise FrameworkFileError([f"fichier illisible : {exc.strerror or exc}"], str(path)) from exc
    return parse_framework(text, source=str(path))


def parse_framework(
    text_or_dict: str | bytes | Mapping[str, Any], source: str = "<référentiel>"
) -> FrameworkSpec:
    """Validate a framework given as YAML text or as an already parsed mapping.

    Returns a FrameworkSpec, or raises FrameworkFileError listing every problem found.
    Dates may be `datetime.date` objects or ISO strings (`YYYY-MM-DD`).
    """
    if isinstance(text_or_dict, bytes):
        try:
            text_or_dict = text_or_dict.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FrameworkFileError(
                [f"le fichier n'est pas encodé en UTF-8 (octet {exc.start})"], source
            ) from exc
    if isinstance(text_or_dict, str):
        data, errors = _parse_yaml(text_or_dict)
        if data is None:
            raise FrameworkFileError(errors, source)
    elif isinstance(text_or_dict, Mapping):
        data, errors = text_or_dict, []
    else:
        raise TypeError(f"expected YAML text or a mapping, got {type(text_or_dict).__name__}")

    checker = Checker(errors)
    spec = checker.framework(data)
    if checker.errors or spec is None:
        raise FrameworkFileError(checker.errors, source)
    return spec


def content_hash(spec: Any) -> str:
    """Return a stable SHA-256 (hex) of a framework's normalised content.

    Two files that differ only in layout, comments or YAML style hash the same; any change of
    meaning (a word, a flag, an order) changes the hash. Works on a FrameworkSpec or on any
    object with the same attributes (e.g. database rows).
    """
    payload = {
        "code": spec.code,
        "version": spec.version,
        "title": spec.title,
        "title_en": spec.title_en,
        "effective_from": spec.effective_from.isoformat(),
        "compliance_deadline": (
            spec.compliance_deadline.isoformat() if spec.compliance_deadline else None
        ),
        "categories": [
            {"code": c.code, "title": c.title, "title_en": c.title_en} for c in spec.categories
        ],
        "requirements": [
            {
                "code": r.code,
                "category": r.category,
                "title": r.title,
                "title_en": r.title_en,
                "statement": r.statement,
                "mandatory": bool(r.mandatory),
                "applies_if": list(r.applies_if),
                "allow_not_applicable": bool(r.allow_not_applicable),
                "evidence": list(r.evidence),
            }
            for r in sorted(spec.requirements, key=lambda r: r.position)
        ],
    }
    # Added later, so that the files written before them keep their hash: only a value other
    # than the default is hashed.
    tracks = dict(getattr(spec, "tracks", None) or ())
    if tracks:
        payload["tracks"] = tracks
    outcome = getattr(spec, "on_compliance_deadline", None) or DEFAULT_COMPLIANCE_OUTCOME
    if outcome != DEFAULT_COMPLIANCE_OUTCOME:
        payload["on_compliance_deadline"] = outcome
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- YAML ----------------------------------------------------------------------------------


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loader that keeps dates as text and records duplicate keys.

    PyYAML would turn `2026-02-30` into an exception that stops parsing (losing every other
    error) and silently keep the last of two identical keys; both must be reported instead.
    Built on libyaml's parser where PyYAML has it: about seven times faster, same errors and marks.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicate_errors: list[str] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                continue  # other keys are reported as unknown fields by the checker
            if key in seen:
                line = key_node.start_mark.line + 1
                self.duplicate_errors.append(f"ligne {line} : clé « {key} » en double")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)


def _parse_yaml(text: str) -> tuple[Any, list[str]]:
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"ligne {mark.line + 1}, colonne {mark.column + 1}" if mark else "position inconnue"
        problem = exc.problem or exc.context or "erreur inconnue"
        return None, [f"syntaxe YAML invalide ({where}) : {problem}"]
    except yaml.YAMLError as exc:
        return None, [f"syntaxe YAML invalide : {exc}"]
    finally:
        loader.dispose()
    if data is None:
        return None, ["le fichier est vide"]
    return data, loader.duplicate_errors
