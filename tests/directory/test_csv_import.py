"""`chancery directory import FILE.csv`: create, update and deactivate accounts to match a CSV file; what others
see of the directory (profiles, user-directory search); display names locked to the directory."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from tests.client import Api, C
from tests.directory.helpers import audit_entries, make_admin
from tests.serverproc import ServerProcess

HEADER = "user_id,display_name,organisation,position,email,phone,external\n"
CA = "/_chancery/admin/v1"


def write_csv(tmp: Path, rows: list[str]) -> Path:
    path = tmp / f"people-{secrets.token_hex(3)}.csv"
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


async def search(api: Api, user: object, term: str) -> list[dict[str, str]]:
    body = await api.ok("POST", C + "/user_directory/search", user, json={"search_term": term})  # type: ignore[arg-type]
    return list(body["results"])


async def test_import_creates_updates_and_deactivates(dapi: Api, dir_server: ServerProcess, tmp_path: Path) -> None:
    tag = secrets.token_hex(3)
    alice, bob, carol = (f"{name}{tag}" for name in ("alice", "bob", "carol"))
    viewer = await dapi.register()
    first = write_csv(
        tmp_path,
        [
            f"{alice},Alice Martin,Ministry {tag}/Budget,Head of Unit,alice@example.gov,+33 1 23,no",
            f"@{bob}:localhost,Bob Durand,Ministry {tag}/Budget,Analyst,,,yes",
            f"{carol},Carol Petit,Ministry {tag},Minister {tag},,,",
        ],
    )
    out = dir_server.run_cli("directory", "import", str(first), "--dry-run")
    assert f"+ create @{alice}:localhost" in out and "3 to create" in out and "Dry run" in out
    assert (await dapi.request("GET", f"{C}/profile/@{alice}:localhost", viewer)).status == 404

    out = dir_server.run_cli("directory", "import", str(first))
    assert "3 to create" in out and "Applied" in out
    profile = await dapi.ok("GET", f"{C}/profile/@{alice}:localhost", viewer)
    assert profile == {
        "displayname": "Alice Martin",
        "org.chancery.organisation": f"Ministry {tag}/Budget",
        "org.chancery.position": "Head of Unit",
    }
    assert "email" not in str(profile)  # contact details stay in the directory
    position = await dapi.ok("GET", f"{C}/profile/@{alice}:localhost/org.chancery.position", viewer)
    assert position == {"org.chancery.position": "Head of Unit"}

    # Found by organisation, position or name, institution-wide (no shared room).
    by_org = await search(dapi, viewer, f"ministry {tag}/budget")
    assert sorted(r["user_id"] for r in by_org) == [f"@{alice}:localhost", f"@{bob}:localhost"]
    assert {
        "user_id": f"@{alice}:localhost",
        "display_name": "Alice Martin",
        "org.chancery.organisation": f"Ministry {tag}/Budget",
        "org.chancery.position": "Head of Unit",
    } in by_org
    assert [r["user_id"] for r in await search(dapi, viewer, f"minister {tag}")] == [f"@{carol}:localhost"]

    # Idempotent: the same file again changes nothing.
    assert "No changes" in dir_server.run_cli("directory", "import", str(first))

    second = write_csv(
        tmp_path,
        [
            f"{alice},Alice Martin,Ministry {tag}/Budget,Director,alice@example.gov,+33 1 23,no",
            f"{bob},Bob Durand,Ministry {tag}/Budget,Analyst,,,yes",
        ],
    )
    out = dir_server.run_cli("directory", "import", str(second), "--dry-run")
    assert f"~ update @{alice}:localhost" in out and "position: 'Head of Unit' -> 'Director'" in out
    assert f"- deactivate @{carol}:localhost" in out
    assert (await dapi.ok("GET", f"{C}/profile/@{carol}:localhost", viewer))["displayname"] == "Carol Petit"
    dir_server.run_cli("directory", "import", str(second))
    assert (await dapi.request("GET", f"{C}/profile/@{carol}:localhost", viewer)).status == 404
    assert await search(dapi, viewer, f"minister {tag}") == []
    assert (await dapi.ok("GET", f"{C}/profile/@{alice}:localhost", viewer))["org.chancery.position"] == "Director"
    assert "No changes" in dir_server.run_cli("directory", "import", str(second))

    # Listed again: re-activated.
    out = dir_server.run_cli("directory", "import", str(first))
    assert f"^ reactivate @{carol}:localhost" in out
    assert (await dapi.ok("GET", f"{C}/profile/@{carol}:localhost", viewer))["displayname"] == "Carol Petit"

    # The history says who changed what; administrators only.
    admin = await make_admin(dapi, dir_server, tmp_path)
    person = await dapi.ok("GET", f"{CA}/directory/people/@{alice}:localhost", admin)
    assert person["source"] == "csv" and person["email"] == "alice@example.gov" and person["deactivated"] is False
    changes = {(c["field"], c["old_value"], c["new_value"], c["actor"]) for c in person["history"]}
    assert ("position", "Head of Unit", "Director", "cli") in changes
    organisations = (await dapi.ok("GET", f"{CA}/directory/organisations", admin))["organisations"]
    assert {"path": f"Ministry {tag}/Budget", "name": "Budget", "parent": f"Ministry {tag}"} in organisations
    for path in (f"{CA}/directory/people/@{alice}:localhost", f"{CA}/directory/organisations"):
        assert (await dapi.request("GET", path, viewer)).status == 403

    # Every run, creation and change is in the audit log, without the personal data itself.
    assert [e["via"] for e in audit_entries(dir_server, "account.create", f"@{alice}:localhost")] == ["cli"]
    updates = audit_entries(dir_server, "directory.update", f"@{alice}:localhost")
    assert ["position"] in [e["details"]["fields"] for e in updates]
    assert "Director" not in str(updates)
    runs = audit_entries(dir_server, "directory.import", "csv")
    assert {"create": 0, "update": 1, "reactivate": 0, "deactivate": 1} in [e["details"] for e in runs]


async def test_bad_files_change_nothing(dapi: Api, dir_server: ServerProcess, tmp_path: Path) -> None:
    tag = secrets.token_hex(3)
    bad = write_csv(
        tmp_path, [f"ok{tag},Fine,,,,,", "Not A Valid Name!,x,,,,,", f"ok{tag},Twice,,,,,", "z{tag},,,,,,maybe"]
    )
    with pytest.raises(RuntimeError) as failure:
        dir_server.run_cli("directory", "import", str(bad))
    message = str(failure.value)
    assert "Nothing changed" in message and ":3:" in message and "already listed" in message and "external" in message
    assert "Traceback" not in message
    viewer = await dapi.register()
    assert (await dapi.request("GET", f"{C}/profile/@ok{tag}:localhost", viewer)).status == 404

    unknown = tmp_path / "unknown.csv"
    unknown.write_text("user_id,salary\nx,1\n")
    with pytest.raises(RuntimeError, match="unknown columns: salary"):
        dir_server.run_cli("directory", "import", str(unknown))
    with pytest.raises(RuntimeError, match="No such file") as missing:
        dir_server.run_cli("directory", "import", str(tmp_path / "absent.csv"))
    assert "Traceback" not in str(missing.value)


async def test_directory_fields_and_locked_names(dapi: Api, dir_server: ServerProcess, tmp_path: Path) -> None:
    user = await dapi.register()
    capabilities = (await dapi.ok("GET", C + "/capabilities", user))["capabilities"]
    assert capabilities["m.set_displayname"] == {"enabled": False}
    reply = await dapi.request("PUT", f"{C}/profile/{user.user_id}/displayname", user, json={"displayname": "Me"})
    assert (reply.status, reply.errcode, reply.body.get("org.chancery.reason")) == (403, "M_FORBIDDEN", "directory")
    reply = await dapi.request(
        "PUT", f"{C}/profile/{user.user_id}/org.chancery.position", user, json={"org.chancery.position": "Boss"}
    )
    assert (reply.status, reply.body.get("org.chancery.reason")) == (403, "directory")
    refusals = audit_entries(dir_server, "profile.change", user.user_id)
    assert [(e["outcome"], e["reason"], e["details"]["field"]) for e in refusals] == [
        ("denied", "directory", "displayname"),
        ("denied", "directory", "org.chancery.position"),
    ]
    # An administrator corrects a name; the avatar stays the user's own.
    admin = await make_admin(dapi, dir_server, tmp_path)
    assert (await dapi.ok("GET", C + "/capabilities", admin))["capabilities"]["m.set_displayname"]["enabled"]
    await dapi.ok("PUT", f"{C}/profile/{user.user_id}/displayname", admin, json={"displayname": "Corrected"})
    assert (await dapi.ok("GET", f"{C}/profile/{user.user_id}", user))["displayname"] == "Corrected"
    await dapi.ok("PUT", f"{C}/profile/{user.user_id}/avatar_url", user, json={"avatar_url": "mxc://localhost/abc"})


async def test_external_people_see_an_empty_directory(dapi: Api, dir_server: ServerProcess, tmp_path: Path) -> None:
    partner = await dapi.register()
    colleague = await dapi.register()
    assert [r["user_id"] for r in await search(dapi, partner, colleague.user_id)] == [colleague.user_id]
    localpart = partner.user_id[1:].split(":")[0]
    # The directory adopts the existing account and marks it external.
    dir_server.run_cli("directory", "import", str(write_csv(tmp_path, [f"{localpart},Partner,,,,,yes"])))
    assert await search(dapi, partner, colleague.user_id) == []
    assert [r["user_id"] for r in await search(dapi, colleague, "Partner")] == [partner.user_id]
