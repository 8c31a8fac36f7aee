"""Spreadsheets are parsed in a child process, under a memory and a time limit.

python-calamine is native code: a workbook it cannot hold aborts the whole process (no
Python exception), which under `caducee serve` would take the web console, the SMTP
listeners and the delivery worker down with it. So XLSX, ODS and XLS uploads are parsed
by `python -m caducee.loadusers.sheet_process`, a short-lived child that:

1. limits its own address space (RLIMIT_AS, CADUCEE_UPLOAD_PARSE_MEMORY_MB) and CPU time
   (RLIMIT_CPU) before importing calamine;
2. reads the workbook from its stdin and measures its sheets (`sheet_bounds`): one beyond
   the limits is refused with a French message, before calamine is even imported;
3. lets calamine read the first sheet and writes its rows to its stdout, an unlinked
   temporary file of the parent, as pickled frames of ROWS_PER_FRAME rows.

The parent waits for the child (wall-clock limit CADUCEE_UPLOAD_PARSE_SECONDS), then
reads the frames back one at a time while the import consumes the lines, with an
unpickler that accepts only the datetime types (no other class can be built from the
child's output). A child that dies (abort, memory, signal, time) becomes a FileRefused
of the caller; the parent never runs calamine.

The child imports neither Django nor the project's settings: it starts in about 0.1 s.
"""

from __future__ import annotations

import datetime
import io
import logging
import os
import pickle
import resource
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from caducee.loadusers.sheet_bounds import LIMITS, Limits, SheetRefused, measure

log = logging.getLogger("caducee.loadusers")

ROWS_PER_FRAME = 2000
_ALLOWED = {
    ("datetime", "datetime"): datetime.datetime,
    ("datetime", "date"): datetime.date,
    ("datetime", "time"): datetime.time,
    ("datetime", "timedelta"): datetime.timedelta,
    ("datetime", "timezone"): datetime.timezone,
}
UNREADABLE = (
    "Classeur illisible ({reason}) : ouvrez-le et enregistrez-le de nouveau au format XLSX, "
    "ou exportez-le en CSV."
)

TOO_BIG = (
    "Le fichier n'a pas pu être lu : sa lecture a dépassé les limites de mémoire "
    "({memory_mb} Mo) ou de temps, ou le classeur est endommagé. Rien n'a été modifié. "
    "Enregistrez-le de nouveau depuis votre tableur (ou en CSV), ou découpez-le."
)


@dataclass(frozen=True)
class Budget:
    """What the child may use: address space (MB) and wall-clock seconds."""

    memory_mb: int = 2048
    seconds: int = 300


class ParseFailed(Exception):
    """The child refused the file or could not read it; `message` is French."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Parent side -----------------------------------------------------------------------


class _Frames(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        allowed = _ALLOWED.get((module, name))
        if allowed is None:
            raise pickle.UnpicklingError(f"{module}.{name} refusé")
        return allowed


def read_sheet(
    data: bytes, budget: Budget = Budget(), limits: Limits | None = LIMITS
) -> tuple[Iterator[tuple[int, list[object]]], int]:
    """(rows of the first sheet, numbered from 1; its height). Raises ParseFailed.

    The child measures the sheets against `limits` before calamine reads anything;
    `limits=None` hands the file straight to calamine (its memory limit still holds).
    """
    bounds = [] if limits is None else [str(limits.rows), str(limits.columns), str(limits.cells)]
    # Unlinked at once; closed when the rows are read, after the child is gone.
    output = tempfile.TemporaryFile()  # noqa: SIM115 - outlives the `with` a block would give
    try:
        done = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
            [
                sys.executable,
                "-m",
                "caducee.loadusers.sheet_process",
                str(budget.memory_mb),
                str(budget.seconds),
                *bounds,
            ],
            input=data,
            stdout=output,
            stderr=subprocess.PIPE,
            timeout=budget.seconds,
            env=_child_environment(),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        output.close()
        raise ParseFailed(
            f"Le fichier n'a pas pu être lu en {budget.seconds} secondes : il est refusé. "
            "Enregistrez-le de nouveau depuis votre tableur (ou en CSV), ou découpez-le."
        ) from exc
    except BaseException:
        output.close()
        raise
    output.seek(0)
    first: object = None
    try:
        first = _Frames(output).load() if done.returncode == 0 else None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
        first = exc
    if not (isinstance(first, tuple) and first and first[0] == "sheet"):
        output.close()
        raise ParseFailed(_failure(first, done.returncode, done.stderr, budget))
    height = int(first[1])
    return _rows(output), height


def _failure(first: object, code: int, stderr: bytes, budget: Budget) -> str:
    if isinstance(first, tuple) and len(first) == 2 and first[0] in ("refused", "error"):
        return str(first[1])
    log.warning(
        "spreadsheet parser exited with %s (%r): %s",
        code,
        first,
        stderr[-2000:].decode("utf-8", "replace"),
    )
    return TOO_BIG.format(memory_mb=budget.memory_mb)


def _rows(output: IO[bytes]) -> Iterator[tuple[int, list[object]]]:
    line = 0
    try:
        while True:
            frame = _Frames(output).load()  # one unpickler a frame: each has its own memo
            if frame[0] == "end":
                return
            if frame[0] != "rows":  # the child failed after the first rows
                raise ParseFailed(str(frame[1]) if len(frame) == 2 else UNREADABLE)
            for cells in frame[1]:
                line += 1
                yield line, cells
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError) as exc:
        raise ParseFailed(UNREADABLE.format(reason=type(exc).__name__)) from exc
    finally:
        output.close()


def _child_environment() -> dict[str, str]:
    """Only what the child needs: none of the server's secrets (database URL, keys)."""
    package_root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH", "")
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": package_root + (os.pathsep + path if path else ""),
        "PYTHONDONTWRITEBYTECODE": "1",
        "RUST_BACKTRACE": "0",  # an allocation failure logs one line, not a backtrace
    }


# --- Child side ------------------------------------------------------------------------


def _limit_self(memory_mb: int, seconds: int) -> None:
    """Lower this process's own limits (never above a hard limit already set)."""
    for which, soft in (
        (resource.RLIMIT_AS, memory_mb * 1024 * 1024),
        (resource.RLIMIT_CPU, max(seconds, 1)),
    ):
        hard = resource.getrlimit(which)[1]
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(which, (soft, soft if hard == resource.RLIM_INFINITY else hard))


def _child(out: IO[bytes], data: bytes, memory_mb: int, limits: Limits | None) -> None:
    def send(frame: tuple[object, ...]) -> None:
        pickle.dump(frame, out, protocol=pickle.HIGHEST_PROTOCOL)

    if limits is not None:
        try:
            measure(data, limits)
        except SheetRefused as exc:
            send(("refused", exc.message))
            return
        except MemoryError:
            send(("error", TOO_BIG.format(memory_mb=memory_mb)))
            return
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        del data
        if not book.sheet_names:
            send(("refused", "Le classeur ne contient aucune feuille."))
            return
        sheet = book.get_sheet_by_index(0)
        send(("sheet", int(sheet.height or 0)))
        batch: list[list[object]] = []
        for cells in sheet.iter_rows():
            batch.append(list(cells))
            if len(batch) >= ROWS_PER_FRAME:
                send(("rows", batch))
                batch = []
        send(("rows", batch))
        send(("end",))
    except MemoryError:
        send(("error", TOO_BIG.format(memory_mb=memory_mb)))
    except Exception as exc:  # calamine raises its own and plain errors on bad input
        send(("error", UNREADABLE.format(reason=type(exc).__name__)))


def main(arguments: list[str]) -> int:
    numbers = [int(a) for a in arguments]
    memory_mb, seconds = numbers[:2]
    limits = Limits(*numbers[2:5]) if len(numbers) == 5 else None
    _limit_self(memory_mb, seconds)
    data = sys.stdin.buffer.read()
    out = sys.stdout.buffer
    _child(out, data, memory_mb, limits)
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
