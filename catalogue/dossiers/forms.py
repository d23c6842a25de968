"""Publisher forms of a dossier (Flask-WTF: CSRF, values kept on error).

The self-assessment form has the fields of each requirement of the category shown, so it is
built for those requirements by ``self_assessment_form``; its inputs keep the names the page
posts (``status-SEC-03``, ``justification-SEC-03``, ``evidence-SEC-03``, ``file-SEC-03``…).
The rules (which status, how long a text, which evidence) are the services'; the forms only
read what was posted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import Field, StringField, TextAreaField

from catalogue.dossiers.services import AnswerInput

# The inputs of one requirement, by the prefix of their name.
ANSWER_PARTS = ("status", "justification", "evidence", "file", "kind", "title", "valid_until")


class IdListField(Field):
    """Ids ticked in a list of checkboxes; anything that is not a number is ignored."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = [int(v) for v in valuelist if str(v).isdigit()]

    def process_data(self, value: Any) -> None:
        self.data = list(value or [])


def _upload(field: Field) -> FileStorage | None:
    data = field.data
    return data if isinstance(data, FileStorage) and data.filename else None


class SelfAssessmentForm(FlaskForm):
    """The answers of one category: status, justification, evidence and a new file for each."""

    next_category = StringField()

    def parts(self) -> dict[str, dict[str, Field]]:
        """requirement code → its fields by part (``status``, ``file``…), in the page's order."""
        by_code: dict[str, dict[str, Field]] = {}
        for field in self:
            part, dash, code = field.name.partition("-")
            if dash and part in ANSWER_PARTS:
                by_code.setdefault(code, {})[part] = field
        return by_code

    def uploads(self) -> dict[str, dict[str, Any]]:
        """requirement code → the new file posted for it, with its kind, title and raw date."""
        return {code: {"file": upload, "kind": fields["kind"].data or "", "title": fields["title"].data or "",
                       "valid_until": fields["valid_until"].data or ""}
                for code, fields in self.parts().items() if (upload := _upload(fields["file"])) is not None}

    def answers(self, added: Mapping[str, int] | None = None, *,
                skip: Sequence[str] = ()) -> list[AnswerInput]:
        """The answers as ``save_answers`` takes them, with the evidence ``added`` for each code."""
        added = added or {}
        return [AnswerInput(code, fields["status"].data or None, fields["justification"].data or "",
                            [*fields["evidence"].data, *([added[code]] if code in added else [])])
                for code, fields in self.parts().items() if code not in skip]

    def typed(self) -> dict[str, dict[str, Any]]:
        """What was typed, by code, to show it again when the answers are refused."""
        return {code: {"status": fields["status"].data or "",
                       "justification": fields["justification"].data or "",
                       "evidence": list(fields["evidence"].data)}
                for code, fields in self.parts().items()}

    def errors_by_code(self) -> dict[str, dict[str, str]]:
        """The first error of each field, by requirement code then part, as the page lists them."""
        errors: dict[str, dict[str, str]] = {}
        for code, fields in self.parts().items():
            for part, field in fields.items():
                if field.errors:
                    errors.setdefault(code, {})[part] = str(field.errors[0])
        return errors


def self_assessment_form(requirement_codes: Sequence[str], **kwargs: Any) -> SelfAssessmentForm:
    """A ``SelfAssessmentForm`` with the fields of each requirement of the category."""
    attrs: dict[str, Any] = {}
    for i, code in enumerate(requirement_codes):
        # Named explicitly: the attribute is a Python name, the input keeps the page's name.
        attrs[f"status_{i}"] = StringField(name=f"status-{code}")
        attrs[f"justification_{i}"] = TextAreaField(name=f"justification-{code}")
        attrs[f"evidence_{i}"] = IdListField(name=f"evidence-{code}")
        attrs[f"file_{i}"] = FileField(name=f"file-{code}")
        attrs[f"kind_{i}"] = StringField(name=f"kind-{code}")
        attrs[f"title_{i}"] = StringField(name=f"title-{code}")
        attrs[f"valid_until_{i}"] = StringField(name=f"valid_until-{code}")
    return type("CategoryAssessmentForm", (SelfAssessmentForm,), attrs)(**kwargs)  # type: ignore[no-any-return]


class InformationAnswerForm(FlaskForm):
    """The publisher's answer to an information request: text, library files, a new file."""

    answer = TextAreaField()
    evidence = IdListField()
    file = FileField()
    kind = StringField()
    title = StringField()

    @property
    def upload(self) -> FileStorage | None:
        """The new file posted, if any."""
        return _upload(self.file)
