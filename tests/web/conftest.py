"""Where the browser tests left their screenshots, printed at the end of every run that made some."""

from __future__ import annotations

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).parent / "artifacts"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    shots = sorted(ARTIFACTS.glob("*/*.png")) if ARTIFACTS.is_dir() else []
    if shots:
        terminalreporter.write_line(f"Chancery Web screenshots: {ARTIFACTS}/<engine>/ ({len(shots)} files)")
