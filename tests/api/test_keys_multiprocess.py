"""One-time keys claimed concurrently through several server processes on one PostgreSQL database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from tests.api.test_keys_support import Device
from tests.client import Api, C
from tests.conftest import ENGINES, cleanup_server, make_server


@pytest.mark.skipif("postgres" not in ENGINES, reason="several processes need PostgreSQL")
async def test_parallel_claims_across_processes_never_share_a_key(tmp_path: Path) -> None:
    own = await asyncio.to_thread(
        make_server, tmp_path, "postgres", "--open-registration", "--no-rate-limits", "--workers", "2"
    )
    await asyncio.to_thread(own.start)
    api = Api(own.base_url)
    try:
        alice = await api.register()
        device = Device(alice)
        await device.upload(api, device_keys=device.device_keys(), one_time_keys=device.one_time_keys(60))
        claimers = [await api.register() for _ in range(4)]
        claim = {"one_time_keys": {alice.user_id: {alice.device_id: "signed_curve25519"}}}

        async def one(n: int) -> list[str]:
            # A connection of its own per claim, so the kernel spreads them over both processes.
            async with aiohttp.ClientSession() as session:
                headers = {"Authorization": f"Bearer {claimers[n % 4].token}"}
                async with session.post(own.base_url + C + "/keys/claim", json=claim, headers=headers) as reply:
                    assert reply.status == 200
                    body = await reply.json()
            return list(body["one_time_keys"].get(alice.user_id, {}).get(alice.device_id, {}))

        results = await asyncio.gather(*(one(n) for n in range(50)))
        handed_out = [key_id for keys in results for key_id in keys]
        assert len(handed_out) == len(set(handed_out)) == 50
        left = await api.ok("POST", C + "/keys/upload", alice, json={})
        assert left["one_time_key_counts"]["signed_curve25519"] == 10
    finally:
        await api.close()
        await asyncio.to_thread(cleanup_server, own)
