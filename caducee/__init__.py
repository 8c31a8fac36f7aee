"""Caducée: secure health messaging and care coordination."""
