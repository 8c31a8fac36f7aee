"""The IMAP service (issue #18): mail clients (Thunderbird, Outlook, mbsync) read and file
the mailbox from the database and the mail store, the webmail's own source of truth, so
the two never disagree. docs/MESSAGING.md, « IMAP »."""
