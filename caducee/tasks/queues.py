"""The platform's task queues.

- `urgent`: one-time login codes only. They must arrive within seconds, so they never
  wait behind an import or a batch of 100,000 finalisation emails. An operator with heavy
  imports runs a worker dedicated to it: `caducee worker --queues urgent`.
- `default`: platform emails, directory push, scheduled jobs, long exports.
- `imports`: account imports (one long transaction each).

`caducee serve` runs one worker thread per queue, so none of them waits for another.
"""

from __future__ import annotations

URGENT = "urgent"
DEFAULT = "default"
IMPORTS = "imports"
ALL = (URGENT, DEFAULT, IMPORTS)

# Within a queue, higher runs first (django-tasks accepts -100..100).
URGENT_PRIORITY = 100
