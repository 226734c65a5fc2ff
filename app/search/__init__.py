"""Full-text search across every record type: GET /v1/search."""
