"""The FHIR view over real HTTP, read by plain ``requests`` (a client no one here wrote):
it follows the Bundle's ``next`` links to the end, and every answer validates."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.devicedefinition import DeviceDefinition
from fhir.resources.R4B.organization import Organization


@pytest.fixture
def served(app: Any, live_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    # Absolute URLs come from BASE_URL: point it at the live server so links can be followed.
    monkeypatch.setitem(app.config, "BASE_URL", live_url)
    return live_url


def test_requests_client_pages_through_the_catalogue(served: str, bulk_listings: Any) -> None:
    bulk_listings([{"name": f"Appli vivante {i}"} for i in range(5)])
    headers = {"Accept": "application/fhir+json"}
    statement = requests.get(f"{served}/fhir/r4/metadata", headers=headers, timeout=10)
    assert statement.status_code == 200
    assert statement.headers["Content-Type"].startswith("application/fhir+json")
    CapabilityStatement.model_validate(statement.json())

    url: str | None = f"{served}/fhir/r4/DeviceDefinition?name=vivante&_count=2"
    names: list[str] = []
    pages = 0
    while url:
        answer = requests.get(url, headers=headers, timeout=10)
        assert answer.status_code == 200
        bundle = Bundle.model_validate(answer.json())
        assert bundle.total == 5
        names += [entry.resource.deviceName[0].name for entry in bundle.entry]
        url = next((link.url for link in bundle.link if link.relation == "next"), None)
        pages += 1
    assert pages == 3 and sorted(names) == [f"Appli vivante {i}" for i in range(5)]

    device_url = answer.json()["entry"][0]["fullUrl"]
    device = DeviceDefinition.model_validate(requests.get(device_url, timeout=10).json())
    owner = requests.get(f"{served}/fhir/r4/{device.owner.reference}", timeout=10)
    Organization.model_validate(owner.json())
