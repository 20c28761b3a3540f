"""Institution roles and the external flag, managed with `chancery user role` while the server runs."""

from __future__ import annotations

import pytest

from tests.client import Api
from tests.serverproc import ServerProcess


async def test_roles_are_granted_shown_and_withdrawn(server: ServerProcess, api: Api) -> None:
    user = await api.register()
    assert server.run_cli("user", "role", user.user_id).strip() == f"{user.user_id}: roles (none); external: no"
    out = server.run_cli("user", "role", user.user_id, "--grant", "security_officer", "--external", "yes")
    assert out.strip() == f"{user.user_id}: roles security_officer; external: yes"
    out = server.run_cli("user", "role", user.user_id, "--revoke", "security_officer", "--external", "no")
    assert out.strip() == f"{user.user_id}: roles (none); external: no"


async def test_unknown_roles_and_users_are_one_line_errors(server: ServerProcess, api: Api) -> None:
    user = await api.register()
    with pytest.raises(RuntimeError, match="Unknown role 'wizard'"):
        server.run_cli("user", "role", user.user_id, "--grant", "wizard")
    with pytest.raises(RuntimeError, match="No such user @nobody-here:localhost") as failure:
        server.run_cli("user", "role", "@nobody-here:localhost", "--grant", "security_officer")
    assert "Traceback" not in str(failure.value)
