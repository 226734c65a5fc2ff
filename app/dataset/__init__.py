"""The dataset as a whole: its card, its version, the health checks."""
