"""Two server processes on one PostgreSQL database write one audit chain: concurrent security actions on
both get consecutive sequence numbers, each linked to the one before, and `chancery audit verify` passes."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.client import Api, User
from tests.reliability.test_multiprocess import Pair, needs_postgres, start_pair
from tests.sql import sql


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    started = start_pair(tmp_path)
    yield started
    started.stop()


@needs_postgres
async def test_concurrent_actions_on_two_workers_make_one_gap_free_chain(pair: Pair) -> None:
    api_a, api_b = Api(pair.a.base_url), Api(pair.b.base_url)
    try:
        users = await asyncio.gather(*(api.register() for api in (api_a, api_b) * 4))

        async def logins(api: Api, user: User) -> None:
            for _ in range(5):
                await api.login(user)

        await asyncio.gather(*(logins(api_a if i % 2 else api_b, user) for i, user in enumerate(users)))
    finally:
        await api_a.close()
        await api_b.close()
    rows = await sql(pair.a, "SELECT seq, prev_hash, hash FROM audit_log ORDER BY seq")
    expected = 8 * 2 + 8 * 5  # account.create and a login per registration, then five logins each
    assert [row[0] for row in rows] == list(range(1, expected + 1))
    assert all(after[1] == before[2] for before, after in itertools.pairwise(rows))
    assert pair.a.run_cli("audit", "verify").startswith(f"OK: {expected} entries")
    assert pair.b.run_cli("audit", "verify").startswith(f"OK: {expected} entries")
