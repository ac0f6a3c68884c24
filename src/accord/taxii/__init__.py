"""The TAXII 2.1 HTTP API: routes, content negotiation, errors, filters and paging."""
