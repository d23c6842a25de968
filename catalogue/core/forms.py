"""The base of every form: single-line text fields lose their control characters.

A name, a title or an address is one line. A CR/LF typed (or pasted, or posted by
a script) into one would end up in e-mail headers (the subject names the app), in
log lines and in CSV rows; other control characters have no meaning in text. So
every ``StringField`` (e-mail and hidden fields included, text areas and password
fields excepted) gets the ``single_line`` filter first, whatever the form declares.
"""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField

# Line and paragraph breaks of every kind, and tabs: a space. Other C0/C1 controls: removed.
_BREAKS = re.compile(r"[\t\n\v\f\r\x85\u2028\u2029]+")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")


def single_line(value: Any) -> Any:
    """The text on one line, without control characters (None and non-text unchanged)."""
    if not isinstance(value, str):
        return value
    return _CONTROLS.sub("", _BREAKS.sub(" ", value))


def _is_single_line(field_class: type) -> bool:
    return issubclass(field_class, StringField) and not issubclass(
        field_class, TextAreaField | PasswordField)


class Form(FlaskForm):
    """``FlaskForm`` (CSRF and all) with ``single_line`` on every single-line text field, and a
    CSRF token rendered without an ``id``."""

    class Meta(FlaskForm.Meta):
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            if _is_single_line(unbound_field.field_class):
                declared = tuple(unbound_field.kwargs.get("filters") or ())
                options = {**options, "filters": (single_line, *declared)}
            if options.get("name") == self.csrf_field_name:
                # A page with several forms would repeat id="csrf_token" (invalid HTML);
                # nothing points at the hidden token, so it goes without an id.
                options = {**options, "render_kw": {"id": False}}
            return super().bind_field(form, unbound_field, options)
