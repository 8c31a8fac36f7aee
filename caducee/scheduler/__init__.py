"""The platform's scheduler: one lease in the database, a registry of periodic jobs."""
