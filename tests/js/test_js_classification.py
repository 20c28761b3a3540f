"""matrix-js-sdk in a classified room: the classification state reaches the client and a clearance refusal is a
MatrixError with the institution's reason. The scenario lives in classification.mjs."""

from __future__ import annotations

import pytest

from tests.classified_server import capi, classified, officer, officer_name
from tests.client import User
from tests.js.node_scenario import HERE
from tests.node import run_node
from tests.serverproc import ServerProcess

__all__ = ["capi", "classified", "officer", "officer_name"]  # fixtures of tests/classified_server.py


@pytest.mark.slow
async def test_js_sdk_sees_the_classification_and_the_refusals_reason(classified: ServerProcess, officer: User) -> None:
    assert (HERE / "node_modules" / "matrix-js-sdk").is_dir(), "run `npm ci` in tests/js (scripts/install does)"
    returncode, text = await run_node(
        HERE / "classification.mjs", classified.base_url, timeout=180, env={"OFFICER_TOKEN": officer.token}
    )
    assert returncode == 0 and "OK" in text.splitlines(), text
