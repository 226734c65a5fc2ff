"""GET /v1/actors/{id}/exposure and GET /v1/policies/{id}/exposure: which policies in force reach an actor."""
