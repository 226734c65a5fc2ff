"""Importers: outside datasets turned into ordinary seed files, resolved against the curated records."""
