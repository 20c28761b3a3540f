"""Profiles, account data, filters and the user directory (client-server API modules of those names)."""

from __future__ import annotations

from typing import Any

from ...config.access import AccessConfig
from ...config.directory import DirectoryConfig
from ...errors import MatrixError, bad_json, forbidden, invalid_param, not_found
from ...events.canonical import check_canonical_values
from ...events.filters import validate_filter_definition
from ...events.identifiers import is_valid_user_id
from ...numbers import parse_decimal
from ...policy.directory import DIRECTORY_PROFILE_FIELDS, may_set_profile_field
from ...storage import Storage
from ...storage.account import GLOBAL
from ...storage.directory import profile_fields
from ..audit import Actor, AuditLog
from ..notifier import Change, Notifier, user_key
from ..rooms.service import RoomService
from .requester import Requester

PROFILE_FIELDS = ("displayname", "avatar_url")
MAX_PROFILE_VALUE = 256
# Types the server manages itself; clients must use the dedicated endpoints.
SERVER_MANAGED_ACCOUNT_DATA = ("m.fully_read", "m.push_rules")


class ProfileService:
    def __init__(
        self,
        storage: Storage,
        notifier: Notifier,
        rooms: RoomService,
        access: AccessConfig | None = None,
        directory: DirectoryConfig | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        self.storage = storage
        self.notifier = notifier
        self.rooms = rooms
        self.access = access or AccessConfig()
        self.directory = directory or DirectoryConfig()
        self.audit = audit

    async def check_profile_access(self, requester: Requester | None, user_id: str) -> None:
        """Who may read a profile ([access] require_auth_for_profile_requests and
        limit_profile_requests_to_users_who_share_rooms, with Synapse's meaning): a token unless the operator
        allows anonymous lookups; with the limit, only users who share a room (one's own profile always).
        Checked before the profile is looked up, so a refusal says nothing about whether the user exists."""
        access = self.access
        if requester is None:
            if access.require_auth_for_profile_requests or access.limit_profile_requests_to_users_who_share_rooms:
                raise MatrixError(401, "M_MISSING_TOKEN", "An access token is required to read profiles")
            return
        if not access.limit_profile_requests_to_users_who_share_rooms or user_id == requester.user_id:
            return
        if not await self.storage.rooms.share_a_room(requester.user_id, user_id):
            raise forbidden("You do not share a room with this user")

    async def get_profile(self, user_id: str) -> dict[str, Any]:
        """Display name and avatar, and the organisation and position from the institution's directory."""
        if not is_valid_user_id(user_id):
            raise invalid_param("Invalid user ID")
        profile = await self.storage.people.profile(user_id)
        if profile is None:
            raise not_found("Profile not found")
        return dict(profile)

    async def get_field(self, user_id: str, field: str) -> dict[str, Any]:
        profile = await self.get_profile(user_id)
        if field not in PROFILE_FIELDS and field not in DIRECTORY_PROFILE_FIELDS:
            raise not_found("Unknown profile field")
        if field not in profile:
            raise not_found("Profile field not set")
        return {field: profile[field]}

    async def set_field(self, requester: Requester, user_id: str, field: str, value: Any) -> None:
        if user_id != requester.user_id and not requester.is_admin:
            raise forbidden("You may only change your own profile")
        if requester.is_guest and field != "displayname":
            raise MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guests may only change their display name")
        decision = may_set_profile_field(
            field,
            own=user_id == requester.user_id,
            is_admin=requester.is_admin,
            names_locked=self.directory.lock_display_names,
        )
        if not decision:
            if self.audit is not None:
                await self.audit.record_denial(
                    Actor.of(requester), "profile.change", user_id, decision, {"field": field}
                )
            raise decision.as_error()
        if field not in PROFILE_FIELDS:
            raise MatrixError(400, "M_UNRECOGNIZED", "Unknown profile field")
        if value is not None and (not isinstance(value, str) or len(value) > MAX_PROFILE_VALUE):
            raise invalid_param(f"{field} must be a string of at most {MAX_PROFILE_VALUE} characters")
        if field == "avatar_url" and value and not value.startswith("mxc://"):
            raise invalid_param("avatar_url must be an mxc:// URI")
        if not await self.storage.users.user_exists(user_id):
            raise not_found("Unknown user")
        await self.storage.users.set_profile_field(user_id, field, value or None)
        await self.rooms.update_profile_in_rooms(user_id)

    # -- account data -------------------------------------------------------------------------------

    async def put_account_data(
        self, requester: Requester, user_id: str, room_id: str | None, data_type: str, content: Any
    ) -> None:
        if user_id != requester.user_id:
            raise forbidden("You may only change your own account data")
        if data_type in SERVER_MANAGED_ACCOUNT_DATA:
            raise MatrixError(
                405 if data_type == "m.push_rules" else 400,
                "M_BAD_JSON",
                f"{data_type} is managed by the server",
            )
        if not isinstance(content, dict):
            raise bad_json("Account data must be a JSON object")
        check_canonical_values(content)
        if room_id is not None and await self.storage.rooms.get_room(room_id) is None:
            raise not_found("Room not found")
        pos = await self.storage.account.put_account_data(user_id, room_id or GLOBAL, data_type, content)
        await self.notifier.notify(pos, [user_key(user_id, Change.ACCOUNT_DATA)])

    async def get_account_data(
        self, requester: Requester, user_id: str, room_id: str | None, data_type: str
    ) -> dict[str, Any]:
        if user_id != requester.user_id:
            raise forbidden("You may only read your own account data")
        content = await self.storage.account.get_account_data(user_id, room_id or GLOBAL, data_type)
        if content is None:
            raise not_found("Account data not found")
        return content

    async def tags(self, requester: Requester, user_id: str, room_id: str) -> dict[str, Any]:
        if user_id != requester.user_id:
            raise forbidden("You may only read your own tags")
        content = await self.storage.account.get_account_data(user_id, room_id, "m.tag")
        return {"tags": (content or {}).get("tags", {})}

    async def set_tag(self, requester: Requester, user_id: str, room_id: str, tag: str, body: dict[str, Any]) -> None:
        if user_id != requester.user_id:
            raise forbidden("You may only change your own tags")
        if len(tag) > 255:
            raise invalid_param("Tag is too long")
        order = body.get("order")
        if order is not None and (isinstance(order, bool) or not isinstance(order, (int, float))):
            raise bad_json("order must be a number")
        current = (await self.tags(requester, user_id, room_id))["tags"]
        current[tag] = {k: v for k, v in body.items() if k == "order"}
        pos = await self.storage.account.put_account_data(user_id, room_id, "m.tag", {"tags": current})
        await self.notifier.notify(pos, [user_key(user_id, Change.ACCOUNT_DATA)])

    async def delete_tag(self, requester: Requester, user_id: str, room_id: str, tag: str) -> None:
        current = (await self.tags(requester, user_id, room_id))["tags"]
        current.pop(tag, None)
        pos = await self.storage.account.put_account_data(user_id, room_id, "m.tag", {"tags": current})
        await self.notifier.notify(pos, [user_key(user_id, Change.ACCOUNT_DATA)])

    # -- filters ------------------------------------------------------------------------------------

    async def create_filter(self, requester: Requester, user_id: str, definition: dict[str, Any]) -> str:
        if user_id != requester.user_id:
            raise forbidden("You may only create filters for yourself")
        validate_filter_definition(definition)
        return str(await self.storage.account.add_filter(user_id, definition))

    async def get_filter(self, requester: Requester, user_id: str, filter_id: str) -> dict[str, Any]:
        if user_id != requester.user_id:
            raise forbidden("You may only read your own filters")
        number = parse_decimal(filter_id)
        if number is None:
            raise not_found("Filter not found")
        definition = await self.storage.account.get_filter(user_id, number)
        if definition is None:
            raise not_found("Filter not found")
        return definition

    # -- user directory -------------------------------------------------------------------------

    @property
    def searches_institution(self) -> bool:
        """[directory] search_scope = "institution": every active account, not only those sharing a room."""
        return self.directory.search_scope == "institution"

    async def search_users(self, requester: Requester, term: str, limit: int) -> dict[str, Any]:
        """The user directory, by name, user ID, organisation or position: by default the users who share a room
        with the searcher or are joined to a public room (the spec's suggestion); with the institution scope,
        every active account. External accounts see an empty directory."""
        limit = max(1, min(limit, 50))
        if await self.storage.roles.is_external(requester.user_id):
            # External accounts (issue 12, Tchap's model) find nobody: they are invited, they do not look.
            return {"results": [], "limited": False}
        if self.searches_institution:
            rows = await self.storage.users.search(term, limit + 1)
        else:
            rows = await self.storage.users.search_visible_to(requester.user_id, term, limit + 1)
        results = [
            {
                "user_id": r.user_id,
                **{
                    "display_name" if key == "displayname" else key: value
                    for key, value in profile_fields(r.displayname, r.avatar_url, r.organisation, r.position).items()
                },
            }
            for r in rows[:limit]
        ]
        return {"results": results, "limited": len(rows) > limit}
