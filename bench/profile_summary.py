"""Summarise a py-spy profile in its raw (collapsed stacks) format: where the samples are,
by function (self and inclusive), and by the stages of the SMTP ingest path.

    .venv/bin/python bench/profile_summary.py profile.txt [--top 25]

A collapsed stack line is `frame;frame;…;frame count`, each frame `function (file:line)`.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^():]*)(?::\d+)?\)$")

# Stages of the ingest path: the first marker found in a stack, read from its leaf up, names
# the stage (a frame of the list in the stack). Order matters: the most specific first.
STAGES = [
    ("fsync (file, directory)", ("fsync",)),
    ("group commit (INSERT, FTS, COMMIT)", ("commit_inbound", "GroupCommit._run")),
    ("duplicate check (SELECT)", ("not_yet_received", "first_copies")),
    (
        "trust checks (whitelist, domains)",
        ("check_headers", "check_header_fields", "check_sender", "check_domain"),
    ),
    ("header parse (email compat32)", ("summary (", "summary_of", "parsebytes")),
    ("RCPT lookup", ("inbound_rcpt",)),
    ("message row and file", ("prepare_message", "store.py")),
    (
        "thread hand-off (executor, futures, locks)",
        (
            "run_in_executor",
            "_worker (",
            "concurrent/",
            "Workers.",
            "_in_thread",
            "_settle",
            "GroupCommit.submit",
            "call_soon_threadsafe",
        ),
    ),
    ("TLS (ssl, sslproto)", ("sslproto.py", "ssl.py")),
    ("aiosmtpd protocol (DATA reading, commands)", ("aiosmtpd/", "smtp/data.py")),
    ("asyncio event loop", ("asyncio/",)),
]


def parse(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def name(frame: str) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    file = match["file"].rsplit("/site-packages/", 1)[-1].rsplit("/python3.11/", 1)[-1]
    return f"{match['function']} ({file})"


def stage(stack: list[str]) -> str:
    for frame in reversed(stack):
        for label, markers in STAGES:
            if any(marker in frame for marker in markers):
                return label
    return "other"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    stacks = parse(args.profile)
    total = sum(count for _, count in stacks)
    if not total:
        print("profil vide")
        return 1
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    for stack, count in stacks:
        own[name(stack[-1])] += count
        for function in {name(frame) for frame in stack}:
            inclusive[function] += count
        stages[stage(stack)] += count
    print(f"{total} échantillons")
    print("\nPar étape (chaque échantillon compté une fois) :")
    for label, count in stages.most_common():
        print(f"  {count / total:6.1%}  {label}")
    print(f"\nTemps propre, {args.top} premières fonctions :")
    for function, count in own.most_common(args.top):
        print(f"  {count / total:6.1%}  {function}")
    print(f"\nTemps inclusif, {args.top} premières fonctions :")
    for function, count in inclusive.most_common(args.top):
        print(f"  {count / total:6.1%}  {function}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
