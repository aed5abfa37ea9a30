"""A run folder's log: every line to stdout and to <run_dir>/log.txt."""
from __future__ import annotations

from pathlib import Path
from typing import Callable


def run_logger(run_dir: Path, append: bool = True) -> Callable[[str], None]:
    run_dir.mkdir(parents=True, exist_ok=True)
    logf = open(run_dir / "log.txt", "a" if append else "w")

    def log(msg: str) -> None:
        print(msg, flush=True)
        logf.write(msg + "\n")
        logf.flush()

    return log
