"""Running the real `tracker` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_tracker(*args: str, database_url: str | None = None, data_dir: Path | None = None,
                input_text: str | None = None) -> subprocess.CompletedProcess:
    """Run the real `tracker` command in a subprocess against the given database."""
    env = dict(os.environ)
    env.pop("TRACKER_DATABASE_URL", None)
    if database_url:
        env["TRACKER_DATABASE_URL"] = database_url
    if data_dir:
        env["TRACKER_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [str(Path(sys.executable).parent / "tracker"), *args],
        env=env, capture_output=True, text=True, input=input_text, timeout=120,
    )
