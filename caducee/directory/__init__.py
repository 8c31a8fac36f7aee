"""Regional directory, MSSanté addresses, national publication and its feed report."""
