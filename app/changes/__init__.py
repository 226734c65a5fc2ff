"""GET /v1/changes: the change log, so a dashboard can mirror the dataset by polling."""
