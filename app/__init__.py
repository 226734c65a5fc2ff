"""techsov: an open JSON API on the geopolitics of AI technological autonomy."""

__version__ = "0.1.0"
