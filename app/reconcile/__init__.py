"""Reconciliation of names against actors and hardware: /v1/reconcile (W3C Reconciliation API)."""
