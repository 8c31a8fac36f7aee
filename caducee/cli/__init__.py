"""The `caducee` command line: thin adapters over the operations layer."""
