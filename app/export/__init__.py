"""GET /v1/export: the whole dataset in one download, NDJSON or a zip of CSVs with a Frictionless data package."""
