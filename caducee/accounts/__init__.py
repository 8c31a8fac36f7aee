"""Mailbox accounts (BAL), their types and states, connection accounts and delegates."""
