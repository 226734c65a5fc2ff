"""Seed files: read with line numbers, validate everything, load in one transaction, export back."""
