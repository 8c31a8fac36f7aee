"""Coordination web pages, one module per concern; thin adapters over operations.py."""
