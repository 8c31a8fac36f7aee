"""Login, one-time links (first-run setup, password links) and sessions."""
