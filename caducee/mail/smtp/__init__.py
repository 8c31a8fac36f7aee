"""SMTP services on aiosmtpd: the inbound MTA (port 25 role) and authenticated submission.

Protocol code is thin: every decision is a plain synchronous function (`decisions.py`:
`inbound_rcpt`, `submission_mail_from`, …) tested without sockets; the handlers
(`handlers.py`) call them in a worker thread and answer with their result, every reply a
named constant of `codes.py`. 250 after DATA is sent only once the message file is
fsync'd and its row committed (`commit.py`, group commit).

- `codes.py`: the replies, and `Problem.code` → reply (never the French text);
- `decisions.py`: what to answer, no sockets;
- `commit.py`: `GroupCommit`, one transaction for the messages waiting;
- `data.py`: DATA read in a few large pieces, with aiosmtpd's answers;
- `handlers.py`: the aiosmtpd handlers, `RcptCache`, the worker threads;
- `server.py`: `CaduceeSMTP` and the controllers.
"""
