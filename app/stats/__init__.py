"""GET /v1/stats: counts by type, kind, status, year, jurisdiction, country and tag for dashboards."""
