"""Machinery shared by every record type and feature."""
