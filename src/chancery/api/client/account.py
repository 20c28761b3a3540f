"""Accounts: registration, login, logout, whoami, password, deactivation, devices (client-server API)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aiohttp import web

from ...errors import MatrixError, bad_json, forbidden, invalid_param
from ...http.context import requester_of, services_of
from ...http.json_body import get_bool, get_str, json_response, read_json
from ...http.routing import client_address
from ...services.audit import Actor
from ...services.directory.lifecycle import terms_params

if TYPE_CHECKING:
    from ...services.container import Services

PASSWORD_FLOW = [["m.login.password"]]


def _registration_flows(open_registration: bool, terms: bool) -> list[list[str]]:
    # The token stage is followed by m.login.dummy, as Synapse offers it: matrix-nio's token registration
    # finishes with a dummy stage in the same session, and js-sdk/Element complete dummy stages on their own.
    flows = [["m.login.registration_token", "m.login.dummy"]]
    if open_registration:
        flows = [["m.login.dummy"], *flows]
    # Published terms of use are accepted before the account exists (client-server API: terms of service).
    return [["m.login.terms", *stages] for stages in flows] if terms else flows


async def post_register(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/register (client-server API: account registration).

    The user-interactive session remembers the first request's parameters (the password only as its hash), so
    later stages may send just `auth`; repeating the completing request returns the same account again."""
    services = services_of(request)
    kind = request.query.get("kind", "user")
    if kind not in ("user", "guest"):
        raise invalid_param("kind must be 'user' or 'guest'")
    body = await read_json(request, allow_empty=kind == "guest")
    username = get_str(body, "username", max_length=255)
    password = get_str(body, "password", max_length=512)
    device_id = get_str(body, "device_id", max_length=255)
    display_name = get_str(body, "initial_device_display_name", max_length=512)
    inhibit_login = get_bool(body, "inhibit_login", False) if "inhibit_login" in body else None
    wants_refresh = get_bool(body, "refresh_token", False)
    if kind == "guest":
        user_id, token, device_id = await services.guests.register_guest(device_id, display_name)
        return json_response(_session_reply(services, user_id, token, device_id))
    already = await services.uia.outcome_of(body, "register")
    if already is not None:
        return await _registered(services, already, device_id, display_name, bool(inhibit_login), wants_refresh)
    guest_token = get_str(body, "guest_access_token", max_length=1024)
    # Upgrading a guest (client-server API: guest access): the same flows, under the guest's own user ID.
    guest_id = await services.guests.guest_to_upgrade(guest_token, username) if guest_token is not None else None
    if username is not None and guest_id is None:
        await services.accounts.check_username_available(username)
    terms = services.lifecycle.terms()
    remember = {
        "username": username,
        # Checked against the password policy before any stage is asked for.
        "password_hash": await services.accounts.new_password_hash(password, None) if password is not None else None,
        "device_id": device_id,
        "initial_device_display_name": display_name,
        "inhibit_login": inhibit_login,
    }
    result = await services.uia.authenticate(
        body,
        _registration_flows(services.config.open_registration, terms is not None),
        "register",
        None,
        terms_params(terms),
        remember=remember,
        keep_session=True,
    )
    params = result.remembered
    if guest_id is not None:
        user_id = guest_id
    else:
        # Without a username, one derived from the session: retries of the completing request racing each
        # other then compete for the same name instead of creating an account each.
        generated = "u" + hashlib.sha256(result.session_id.encode()).hexdigest()[:15]
        user_id = await services.accounts.check_username_available(params.get("username") or generated)
    await services.accounts.create_account(
        user_id,
        None,
        password_hash=params.get("password_hash"),
        registration_token=result.registration_token,
        upgrading_guest=guest_id is not None,
    )
    await services.uia.record_outcome(result.session_id, user_id)
    if terms is not None and "m.login.terms" in result.completed:
        await services.lifecycle.record_terms_accepted(
            user_id, terms["version"], Actor(user_id, ip=client_address(request))
        )
    return await _registered(
        services,
        user_id,
        params.get("device_id"),
        params.get("initial_device_display_name"),
        bool(params.get("inhibit_login", False)),
        wants_refresh,
    )


async def _registered(
    services: Services,
    user_id: str,
    device_id: str | None,
    display_name: str | None,
    inhibit_login: bool,
    wants_refresh: bool,
) -> web.Response:
    """The reply to a completed registration: the user ID, and unless `inhibit_login` a new session's token."""
    if inhibit_login:
        return json_response({"user_id": user_id, "home_server": services.config.server_name})
    token, device_id, _, extra = await services.auth.new_session(
        user_id, device_id, display_name, method="registration", refresh=wants_refresh
    )
    return json_response(_session_reply(services, user_id, token, device_id) | extra)


def _session_reply(services: Services, user_id: str, token: str, device_id: str) -> dict[str, Any]:
    # `home_server` is deprecated but still in the spec, and older clients and test suites read it.
    return {
        "user_id": user_id,
        "access_token": token,
        "device_id": device_id,
        "home_server": services.config.server_name,
    }


async def get_register_available(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/register/available (client-server API: account registration)."""
    username = request.query.get("username")
    if not username:
        raise MatrixError(400, "M_MISSING_PARAM", "Missing username")
    await services_of(request).accounts.check_username_available(username)
    return json_response({"available": True})


async def get_registration_token_validity(request: web.Request) -> web.Response:
    """GET /_matrix/client/v1/register/m.login.registration_token/validity."""
    token = request.query.get("token")
    if not token:
        raise MatrixError(400, "M_MISSING_PARAM", "Missing token")
    return json_response({"valid": await services_of(request).uia.registration_token_valid(token)})


async def get_login(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/login (client-server API: login)."""
    flows: list[dict[str, object]] = [{"type": "m.login.password"}]
    if services_of(request).short_lived_tokens.login_tokens_enabled:
        flows.append({"type": "m.login.token", "get_login_token": True})
    return json_response({"flows": flows})


async def _login_user(request: web.Request, body: dict[str, Any], services: Services) -> tuple[str, str]:
    """The user a login request proves to be, and how: by password (m.login.password) or by a login token
    (m.login.token)."""
    login_type = body.get("type")
    if login_type == "m.login.token":
        token = get_str(body, "token", required=True, max_length=1024)
        assert token is not None
        user_id = await services.short_lived_tokens.redeem_login_token(token, client_address(request))
        return user_id, login_type
    if login_type != "m.login.password":
        raise MatrixError(400, "M_UNKNOWN", "Unsupported login type")
    identifier = body.get("identifier")
    if identifier is not None:
        if not isinstance(identifier, dict):
            raise bad_json("identifier must be an object")
        if identifier.get("type") != "m.id.user":
            raise MatrixError(400, "M_UNKNOWN", "Only m.id.user identifiers are supported")
        user = get_str(identifier, "user", required=True, max_length=255)
    else:
        user = get_str(body, "user", required=True, max_length=255)
    password = get_str(body, "password", required=True, max_length=512)
    assert user is not None and password is not None
    try:
        user_id = services.accounts.user_id_for(user)
    except MatrixError:
        raise forbidden("Invalid username or password") from None
    services.rate_limiter.check("login", f"account:{user_id}")
    if not await services.auth.check_password(user_id, password):
        failure = {"method": "m.login.password"}
        actor = Actor(None, ip=client_address(request))
        await services.audit.record_alone(actor, "login.failed", user_id, outcome="failed", details=failure)
        raise forbidden("Invalid username or password")
    return user_id, "m.login.password"


async def post_login(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/login (client-server API: login, m.login.password)."""
    services = services_of(request)
    body = await read_json(request)
    device_id = get_str(body, "device_id", max_length=255)
    display_name = get_str(body, "initial_device_display_name", max_length=512)
    wants_refresh = get_bool(body, "refresh_token", False)
    user_id, method = await _login_user(request, body, services)
    token, device_id, _, extra = await services.auth.new_session(
        user_id, device_id, display_name, method=method, refresh=wants_refresh
    )
    config = services.config
    well_known = {"m.homeserver": {"base_url": config.public_baseurl.rstrip("/")}}
    return json_response(_session_reply(services, user_id, token, device_id) | {"well_known": well_known} | extra)


async def post_get_login_token(request: web.Request) -> web.Response:
    """POST /_matrix/client/v1/login/get_token (behind user-interactive auth, asked every time)."""
    services = services_of(request)
    requester = requester_of(request)
    if not services.short_lived_tokens.login_tokens_enabled:
        raise MatrixError(404, "M_UNRECOGNIZED", "Login tokens are not enabled on this server")
    body = await read_json(request, allow_empty=True)
    await services.uia.authenticate(body, PASSWORD_FLOW, "get_login_token", requester.user_id)
    return json_response(await services.short_lived_tokens.issue_login_token(requester))


async def get_whois(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/admin/whois/{userId}: administrators, or the user themselves."""
    user_id = unquote(request.match_info["user_id"])
    return json_response(await services_of(request).whois.whois(requester_of(request), user_id))


async def post_refresh(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/refresh (client-server API: refreshing access tokens)."""
    services = services_of(request)
    body = await read_json(request)
    refresh_token = get_str(body, "refresh_token", required=True, max_length=1024)
    assert refresh_token is not None
    return json_response(await services.devices.sessions.refresh(refresh_token))


async def post_logout(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/logout: revokes this token and its device at once."""
    requester = requester_of(request)
    await services_of(request).accounts.delete_devices(requester.user_id, [requester.device_id], action="logout")
    return json_response({})


async def post_logout_all(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/logout/all: revokes every token and device of the user."""
    services = services_of(request)
    requester = requester_of(request)
    devices = [d["device_id"] for d in await services.accounts.list_devices(requester.user_id)]
    await services.accounts.delete_devices(requester.user_id, devices, action="logout")
    return json_response({})


async def get_whoami(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/account/whoami."""
    requester = requester_of(request)
    return json_response(
        {"user_id": requester.user_id, "device_id": requester.device_id, "is_guest": requester.is_guest}
    )


async def post_password(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/account/password (behind user-interactive auth)."""
    services = services_of(request)
    requester = requester_of(request)
    body = await read_json(request)
    new_password = get_str(body, "new_password", required=True, max_length=512)
    logout_devices = get_bool(body, "logout_devices", True)
    await services.uia.authenticate(body, PASSWORD_FLOW, "password", requester.user_id)
    assert new_password is not None
    await services.accounts.change_password(requester, new_password, logout_devices)
    return json_response({})


async def post_deactivate(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/account/deactivate (behind user-interactive auth)."""
    services = services_of(request)
    requester = requester_of(request)
    body = await read_json(request, allow_empty=True)
    await services.uia.authenticate(body, PASSWORD_FLOW, "deactivate", requester.user_id)
    await services.accounts.deactivate(requester.user_id)
    return json_response({"id_server_unbind_result": "no-support"})


async def get_devices(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/devices (client-server API: device management)."""
    requester = requester_of(request)
    return json_response({"devices": await services_of(request).accounts.list_devices(requester.user_id)})


async def get_device(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/devices/{deviceId}."""
    requester = requester_of(request)
    device_id = request.match_info["device_id"]
    return json_response(await services_of(request).accounts.get_device(requester.user_id, device_id))


async def put_device(request: web.Request) -> web.Response:
    """PUT /_matrix/client/v3/devices/{deviceId}: rename a device."""
    requester = requester_of(request)
    body = await read_json(request, allow_empty=True)
    await services_of(request).accounts.rename_device(
        requester.user_id, request.match_info["device_id"], body.get("display_name")
    )
    return json_response({})


async def delete_device(request: web.Request) -> web.Response:
    """DELETE /_matrix/client/v3/devices/{deviceId} (behind user-interactive auth)."""
    services = services_of(request)
    requester = requester_of(request)
    device_id = request.match_info["device_id"]
    await services.accounts.get_device(requester.user_id, device_id)  # 404 before asking for a password
    body = await read_json(request, allow_empty=True)
    await services.uia.authenticate(body, PASSWORD_FLOW, "delete_devices", requester.user_id)
    await services.accounts.delete_devices(requester.user_id, [device_id])
    return json_response({})


async def post_delete_devices(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/delete_devices (behind user-interactive auth)."""
    services = services_of(request)
    requester = requester_of(request)
    body = await read_json(request)
    devices = body.get("devices")
    if not isinstance(devices, list) or not all(isinstance(d, str) for d in devices):
        raise invalid_param("devices must be a list of device IDs")
    await services.uia.authenticate(body, PASSWORD_FLOW, "delete_devices", requester.user_id)
    await services.accounts.delete_devices(requester.user_id, list(dict.fromkeys(devices)))
    return json_response({})
