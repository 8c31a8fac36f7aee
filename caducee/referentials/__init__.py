"""Predefined lists (professions, departments…) and identifier validators."""
