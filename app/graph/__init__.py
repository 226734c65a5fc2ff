"""GET /v1/graph: the records around one record, as nodes and typed edges."""
