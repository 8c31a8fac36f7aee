"""The physical people who log in: staff, admins, the platform operator."""
