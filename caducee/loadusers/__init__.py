"""Bulk import and export of accounts (the loaduser file of seed 002 §3)."""
