"""Quarantine applies to the content, not just one media ID: the same bytes are neither served under any
other media ID nor accepted again in a new upload."""

from __future__ import annotations

from pathlib import Path

from tests.api.test_media import upload
from tests.api.test_media_support import MEDIA, V1_MEDIA, image_bytes, media_id_of
from tests.client import Api, User
from tests.security.test_aliases import make_admin
from tests.serverproc import ServerProcess


async def fetch(api: Api, user: User, path: str, params: dict[str, str] | None = None) -> tuple[int, str | None]:
    """(status, errcode) of a download, whose body may be bytes."""
    headers = {"Authorization": f"Bearer {user.token}"}
    async with api.session.get(api.base_url + path, params=params, headers=headers) as response:
        if response.content_type == "application/json":
            return response.status, (await response.json()).get("errcode")
        await response.read()
        return response.status, None


async def test_quarantined_content_is_refused_under_every_media_id(
    api: Api, server: ServerProcess, tmp_path: Path
) -> None:
    alice, bob = await api.register(), await api.register()
    data = image_bytes("PNG", (48, 40))
    reported = media_id_of(await upload(api, alice, data, "image/png"))
    earlier_copy = media_id_of(await upload(api, bob, data, "image/png"))
    other = media_id_of(await upload(api, bob, image_bytes("PNG", (40, 48)), "image/png"))
    admin = await make_admin(api, server, tmp_path)
    await api.ok("POST", f"/_chancery/admin/v1/media/quarantine/localhost/{reported}", admin, json={})

    for media_id in (reported, earlier_copy):
        download = await fetch(api, bob, f"{V1_MEDIA}/download/localhost/{media_id}")
        assert download == (404, "M_NOT_FOUND"), media_id
        thumbnail = await fetch(
            api, bob, f"{V1_MEDIA}/thumbnail/localhost/{media_id}", params={"width": "32", "height": "32"}
        )
        assert thumbnail == (404, "M_NOT_FOUND"), media_id
    # The same bytes uploaded again, directly or into a created media ID, are refused.
    again = await api.request("POST", MEDIA + "/v3/upload", bob, data=data, headers={"Content-Type": "image/png"})
    assert (again.status, again.errcode) == (403, "M_FORBIDDEN")
    created = await api.ok("POST", MEDIA + "/v1/create", bob, json={})
    into = await api.request(
        "PUT",
        f"{MEDIA}/v3/upload/localhost/{media_id_of(created['content_uri'])}",
        bob,
        data=data,
        headers={"Content-Type": "image/png"},
    )
    assert (into.status, into.errcode) == (403, "M_FORBIDDEN")
    # Other content is untouched.
    assert await fetch(api, bob, f"{V1_MEDIA}/download/localhost/{other}") == (200, None)
    assert (await upload(api, bob, b"harmless bytes", "text/plain")).startswith("mxc://")
