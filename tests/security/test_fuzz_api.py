"""Schemathesis against the OpenAPI document, on the Flask app (WSGI), inside pytest.

Every operation of ``/api/v1/openapi.json`` gets generated parameters (valid and
invalid): no server error, answers conform to their schema and content type, and every
status code is documented. Bounded by the Hypothesis profile (``ci`` by default)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import given
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.security.conftest import bounded

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_operations_conform_to_the_openapi_document(app, make_listing, ens_waves, mode):
    """Each operation, valid then invalid parameters (schemathesis' pytest loader does not
    run under this pytest version, so the operations are walked here with Hypothesis)."""
    make_listing()  # answers with real items, facets and history
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    for operation in operations:
        if mode == GenerationMode.NEGATIVE and not list(operation.iter_parameters()):
            continue  # nothing to get wrong

        @bounded(15)
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case):
            case.call_and_validate(checks=CHECKS)

        call()


def test_openapi_document_is_valid(client):
    from openapi_spec_validator import validate

    document = client.get("/api/v1/openapi.json").json
    validate(document)
    assert document["openapi"].startswith("3.")
    # Every operation documents its 400 (bad parameter) and every 200 has a schema.
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert "200" in responses and "content" in responses["200"], (method, path)
            if operation.get("parameters"):
                assert "400" in responses, (method, path)
