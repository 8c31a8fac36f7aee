"""Where the platform keeps files: Django storages from CADUCEE_STORAGE_URL, and the
mail store's root (docs/STORAGE.md)."""
