"""Dossiers usagers, partners and sealed external partner accounts."""
