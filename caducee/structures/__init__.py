"""Structures (établissements), their MSSanté domain and their admins."""
