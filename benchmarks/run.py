"""Run every benchmark (``make bench``): each ``benchmarks/<name>/run.py`` in turn.

Each benchmark compares archiver against the reference tool in the same run, prints a table
and writes its latest results to ``docs/benchmarks.md`` (its own section).
Run one with ``python benchmarks/run.py NAME``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    names = argv or sorted(p.parent.name for p in HERE.glob("*/run.py"))
    status = 0
    for name in names:
        script = HERE / name / "run.py"
        if not script.is_file():
            print(f"no benchmark named {name!r}", file=sys.stderr)
            return 2
        print(f"== benchmark: {name}", flush=True)
        status |= subprocess.call([sys.executable, str(script)])
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
