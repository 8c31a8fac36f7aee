"""Account lifecycle rules (issue #15): expiry, inactivity warnings and deletion, exemption."""
