"""Message store, SMTP in and out, delivery queue, bounces and the webmail."""
