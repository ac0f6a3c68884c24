"""The REST API under /api/v1/ (OpenAPI at /api/v1/openapi.json): what TAXII does not cover."""
