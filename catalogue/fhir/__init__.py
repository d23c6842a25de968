"""A read-only FHIR R4 view of the catalogue."""
