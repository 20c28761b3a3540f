"""Chancery Web in Debian's Chromium (playwright-core) against the real server, on both engines (issue 15).

The server is tests/classified_server.py's: a classification scheme with levels, caveats, a default level and
device accreditation above RESTRICTED, so banners, watermarks, the picker and clearance refusals are the real
server's. Its security officer gives the scenarios' people their clearances and accredits their browsers. One
scenario also signs in to a second server without a scheme (whose scheme endpoint answers 404).

The scenarios live in scenarios.mjs (run by Node, one browser for all of them); this module runs it once per
engine and turns each scenario's result into a test. Screenshots go to tests/web/artifacts/<engine>/ (git-ignored);
their paths are printed. A scenario fails on a failed check, on a console error it did not cause on purpose,
and (where it runs axe-core) on a serious or critical accessibility violation.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chancery.web_client.assets import DIST_DIR
from tests.classified_server import OFFICER_PASSWORD, classified, officer_name
from tests.conftest import cleanup_server, start_configured_server
from tests.node import node_binary, run_node
from tests.serverproc import ServerProcess
from tests.web.conftest import ARTIFACTS

HERE = Path(__file__).parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ADMIN_PASSWORD = "correct horse battery"  # the password harness.mjs signs in with
__all__ = ["classified", "officer_name"]  # fixtures of tests/classified_server.py
SCENARIOS = [
    "encrypted_chat",
    "message_actions",
    "recovery_and_verification",
    "directory_fields",
    "classified_room",
    "refused_invite",
    "remote_wipe",
    "phone_layout",
    "accessibility",
]


def _check_prerequisites() -> None:
    node_binary()
    assert Path(CHROMIUM).exists(), f"Chromium is required at {CHROMIUM} (Debian package chromium, in .ci/apt-packages)"
    assert (HERE / "node_modules" / "playwright-core").is_dir(), "run `npm ci` in tests/web (scripts/install does)"
    assert (DIST_DIR / "index.html").is_file(), "the web client is not built: run scripts/install"


def _administrator(server: ServerProcess, tmp: Path) -> str:
    """A server administrator (who may order a remote wipe), made with the CLI; returns its user ID."""
    user_id = f"@webadmin{secrets.token_hex(4)}:localhost"
    password_file = tmp / "admin-password"
    password_file.write_text(ADMIN_PASSWORD)
    server.run_cli("user", "create", user_id, "--password-file", str(password_file), "--admin")
    return user_id


@pytest.fixture(scope="module")
def schemeless(classified: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server without a classification scheme, on the classified server's engine."""
    tmp = tmp_path_factory.mktemp(f"schemeless-{classified.engine}")
    proc = start_configured_server(tmp, classified.engine, "")
    yield proc
    cleanup_server(proc)


@pytest.fixture(scope="module")
def web_results(
    classified: ServerProcess, schemeless: ServerProcess, officer_name: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    _check_prerequisites()
    server = classified
    artifacts = ARTIFACTS / server.engine
    shutil.rmtree(artifacts, ignore_errors=True)
    admin = _administrator(server, tmp_path_factory.mktemp("web-admin"))

    env = {
        "CHANCERY_WEB_TEST_ADMIN": admin,
        "CHANCERY_WEB_TEST_OFFICER": f"@{officer_name}:localhost",
        "CHANCERY_WEB_TEST_OFFICER_PASSWORD": OFFICER_PASSWORD,
        "CHANCERY_WEB_TEST_SCHEMELESS": schemeless.base_url,
        "CHROMIUM": CHROMIUM,
    }
    _, text = asyncio.run(run_node(HERE / "scenarios.mjs", server.base_url, str(artifacts), timeout=600, env=env))
    results: dict[str, dict[str, Any]] = {}
    for line in text.splitlines():
        if line.startswith("{"):
            result = json.loads(line)
            results[result["scenario"]] = result
    (artifacts / "results.json").write_text(json.dumps(results, indent=1))
    print(f"\nChancery Web screenshots and results ({server.engine}): {artifacts}")
    for name, result in results.items():
        timings = {k: v for k, v in result["metrics"].items() if k.endswith("_ms")}
        print(f"  {name}: {result['seconds']:.1f}s {json.dumps(timings) if timings else ''}")
    results["_output"] = {"text": text}
    return results


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_web_client_scenario(web_results: dict[str, dict[str, Any]], scenario: str) -> None:
    result = web_results.get(scenario)
    assert result is not None, f"scenario {scenario} did not run:\n{web_results['_output']['text'][-4000:]}"
    assert result["error"] is None, result["error"]
    assert result["console"] == [], f"console errors: {result['console']}"
    serious = {screen: found for screen, found in result["a11y"].items() if found}
    assert not serious, f"serious or critical accessibility violations: {json.dumps(serious, indent=1)}"
    assert result["ok"]
