"""Lifecycle changes reach every server process at once: an account expired, renewed or deactivated through
one process is held, freed or locked out in the other (PostgreSQL only: several processes share it)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.client import Api, C
from tests.directory.helpers import eventually_status, make_admin
from tests.reliability.test_multiprocess import Pair, needs_postgres, start_pair

CA = "/_chancery/admin/v1"


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    started = start_pair(tmp_path_factory.mktemp("lifecycle-pair"))
    yield started
    started.stop()


@needs_postgres
async def test_expiry_renewal_and_deactivation_reach_every_process(two: Pair, tmp_path: Path) -> None:
    api_a, api_b = Api(two.a.base_url), Api(two.b.base_url)
    try:
        admin = await make_admin(api_a, two.a, tmp_path)
        user = await api_a.register(password="a long passphrase")
        on_b = await api_b.login(user)
        await api_b.ok("GET", C + "/account/whoami", on_b)  # B now holds the token in its cache

        past = int(time.time() * 1000) - 1000
        await api_a.ok("POST", f"{CA}/users/{user.user_id}/renew", admin, json={"expiration_ts": past})
        await eventually_status(api_b, on_b, C + "/account/whoami", (403, "ORG_MATRIX_EXPIRED_ACCOUNT"))
        await api_a.ok("POST", f"{CA}/users/{user.user_id}/renew", admin, json={"expiration_ts": past + 86_400_000})
        await eventually_status(api_b, on_b, C + "/account/whoami", (200, None))

        two.a.run_cli("user", "deactivate", user.user_id)
        for api, session in ((api_a, user), (api_b, on_b)):
            await eventually_status(api, session, C + "/account/whoami", (401, "M_UNKNOWN_TOKEN"))
    finally:
        await api_a.close()
        await api_b.close()
