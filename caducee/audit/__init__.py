"""Append-only, hash-chained log of every operation."""
