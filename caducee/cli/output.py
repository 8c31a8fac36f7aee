"""Printing helpers shared by the CLI commands."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def print_warnings(problems: list[Any]) -> None:
    for problem in problems:
        sys.stderr.write(f"Avertissement : {problem.message}\n")
