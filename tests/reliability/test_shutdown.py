"""Operations: first start lays out the data directory; SIGTERM stops the server promptly and cleanly."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.client import Api
from tests.conftest import cleanup_server, make_server


async def test_first_start_and_graceful_shutdown_during_long_poll(tmp_path: Path) -> None:
    server = make_server(tmp_path, "sqlite", "--open-registration")
    server.start()
    try:
        data = server.data_dir
        assert (data / "chancery.toml").read_text().startswith("# Chancery homeserver configuration.")
        assert (data / "signing.key").stat().st_mode & 0o077 == 0, "the signing key must not be readable by others"
        assert (data / "chancery.db").exists()
        api = Api(server.base_url)
        try:
            user = await api.register()
            first = await api.sync(user)
            poll = asyncio.create_task(api.sync(user, first["next_batch"], timeout=60_000))
            await asyncio.sleep(0.5)
            started = time.monotonic()
            assert server.proc is not None
            server.proc.terminate()
            await poll  # the long poll is answered, not cut off
            exit_code = await asyncio.to_thread(server.proc.wait, 20)
            assert exit_code == 0
            assert time.monotonic() - started < 10
        finally:
            await api.close()
    finally:
        cleanup_server(server)


async def test_admin_cli_creates_accounts_and_tokens(tmp_path: Path) -> None:
    server = make_server(tmp_path, "sqlite")
    server.start()
    api = Api(server.base_url)
    try:
        password_file = tmp_path / "pw"
        password_file.write_text("s3cret password\n")
        out = server.run_cli("user", "create", "@chief:localhost", "--password-file", str(password_file), "--admin")
        assert "@chief:localhost" in out
        login = await api.request(
            "POST",
            "/_matrix/client/v3/login",
            json={
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": "chief"},
                "password": "s3cret password",
            },
        )
        assert login.status == 200 and login.body["user_id"] == "@chief:localhost"
        closed = await api.request(
            "POST",
            "/_matrix/client/v3/register",
            json={"username": "x", "password": "a long enough passphrase", "auth": {"type": "m.login.dummy"}},
        )
        assert closed.status == 401, "dummy registration must be closed"
        assert all("m.login.registration_token" in flow["stages"] for flow in closed.body["flows"])
        server.run_cli("user", "deactivate", "@chief:localhost")
        whoami = await api.request(
            "GET",
            "/_matrix/client/v3/account/whoami",
            headers={"Authorization": f"Bearer {login.body['access_token']}"},
        )
        assert whoami.status == 401 and whoami.errcode == "M_UNKNOWN_TOKEN"
    finally:
        await api.close()
        cleanup_server(server)
