"""Per-user endpoints: profile, account data, tags, filters, presence, push rules, user directory."""

from __future__ import annotations

from aiohttp import web

from ...errors import bad_json, forbidden, invalid_param
from ...http.context import optional_requester_of, requester_of, services_of
from ...http.json_body import get_int, get_str, json_response, read_json


async def get_profile(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/profile/{userId} (client-server API: profiles); the token is optional."""
    profile = services_of(request).profile
    user_id = request.match_info["user_id"]
    await profile.check_profile_access(optional_requester_of(request), user_id)
    return json_response(await profile.get_profile(user_id))


async def get_profile_field(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/profile/{userId}/{keyName}; the token is optional."""
    profile = services_of(request).profile
    info = request.match_info
    await profile.check_profile_access(optional_requester_of(request), info["user_id"])
    return json_response(await profile.get_field(info["user_id"], info["field"]))


async def put_profile_field(request: web.Request) -> web.Response:
    """PUT /_matrix/client/v3/profile/{userId}/{keyName}."""
    info = request.match_info
    body = await read_json(request)
    field = info["field"]
    if field not in body:
        raise bad_json(f"Missing {field}")
    await services_of(request).profile.set_field(requester_of(request), info["user_id"], field, body[field])
    return json_response({})


async def delete_profile_field(request: web.Request) -> web.Response:
    """DELETE /_matrix/client/v3/profile/{userId}/{keyName} (Matrix 1.16): the field is removed."""
    info = request.match_info
    await services_of(request).profile.set_field(requester_of(request), info["user_id"], info["field"], None)
    return json_response({})


async def get_account_data(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/user/{userId}[/rooms/{roomId}]/account_data/{type}."""
    info = request.match_info
    content = await services_of(request).profile.get_account_data(
        requester_of(request), info["user_id"], info.get("room_id"), info["type"]
    )
    return json_response(content)


async def put_account_data(request: web.Request) -> web.Response:
    """PUT /_matrix/client/v3/user/{userId}[/rooms/{roomId}]/account_data/{type}."""
    info = request.match_info
    body = await read_json(request)
    await services_of(request).profile.put_account_data(
        requester_of(request), info["user_id"], info.get("room_id"), info["type"], body
    )
    return json_response({})


async def get_tags(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags (client-server API: room tagging)."""
    info = request.match_info
    return json_response(
        await services_of(request).profile.tags(requester_of(request), info["user_id"], info["room_id"])
    )


async def put_tag(request: web.Request) -> web.Response:
    """PUT /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag}."""
    info = request.match_info
    body = await read_json(request, allow_empty=True)
    await services_of(request).profile.set_tag(
        requester_of(request), info["user_id"], info["room_id"], info["tag"], body
    )
    return json_response({})


async def delete_tag(request: web.Request) -> web.Response:
    """DELETE /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag}."""
    info = request.match_info
    await services_of(request).profile.delete_tag(requester_of(request), info["user_id"], info["room_id"], info["tag"])
    return json_response({})


async def post_filter(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/user/{userId}/filter (client-server API: filtering)."""
    body = await read_json(request)
    filter_id = await services_of(request).profile.create_filter(
        requester_of(request), request.match_info["user_id"], body
    )
    return json_response({"filter_id": filter_id})


async def get_filter(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/user/{userId}/filter/{filterId}."""
    info = request.match_info
    return json_response(
        await services_of(request).profile.get_filter(requester_of(request), info["user_id"], info["filter_id"])
    )


async def post_user_directory_search(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/user_directory/search (client-server API: user directory)."""
    body = await read_json(request)
    term = get_str(body, "search_term", required=True, max_length=255)
    limit = get_int(body, "limit", 10)
    assert term is not None
    return json_response(await services_of(request).profile.search_users(requester_of(request), term, limit))


async def put_presence(request: web.Request) -> web.Response:
    """PUT /_matrix/client/v3/presence/{userId}/status (client-server API: presence)."""
    requester = requester_of(request)
    if request.match_info["user_id"] != requester.user_id:
        raise forbidden("You may only set your own presence")
    body = await read_json(request)
    presence = get_str(body, "presence", required=True)
    status_msg = get_str(body, "status_msg", max_length=1024)
    assert presence is not None
    await services_of(request).ephemeral.set_presence(requester.user_id, presence, status_msg)
    return json_response({})


async def get_presence(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/presence/{userId}/status."""
    return json_response(
        await services_of(request).ephemeral.get_presence(requester_of(request), request.match_info["user_id"])
    )


async def get_push_rules(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/pushrules/ (client-server API: push rules)."""
    return json_response(await services_of(request).push_rules.all_rules(requester_of(request).user_id))


async def get_push_rules_scope(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/pushrules/global/."""
    if request.match_info["scope"] != "global":
        raise invalid_param("Only the global scope is supported")
    rules = await services_of(request).push_rules.all_rules(requester_of(request).user_id)
    return json_response(rules["global"])


async def get_push_rules_of_kind(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/pushrules/global/{kind}/: the rules of one kind, in evaluation order."""
    info = request.match_info
    rules = await services_of(request).push_rules.rules_of_kind(
        requester_of(request).user_id, info["scope"], info["kind"]
    )
    return json_response(rules)


async def get_push_rule(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}."""
    info = request.match_info
    rule = await services_of(request).push_rules.get_rule(
        requester_of(request).user_id, info["scope"], info["kind"], info["rule_id"]
    )
    return json_response(rule)


async def put_push_rule(request: web.Request) -> web.Response:
    """PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}."""
    info = request.match_info
    body = await read_json(request)
    await services_of(request).push_rules.put_rule(
        requester_of(request).user_id,
        info["scope"],
        info["kind"],
        info["rule_id"],
        body,
        request.query.get("before"),
        request.query.get("after"),
    )
    return json_response({})


async def delete_push_rule(request: web.Request) -> web.Response:
    """DELETE /_matrix/client/v3/pushrules/global/{kind}/{ruleId}."""
    info = request.match_info
    await services_of(request).push_rules.delete_rule(
        requester_of(request).user_id, info["scope"], info["kind"], info["rule_id"]
    )
    return json_response({})


async def get_push_rule_attr(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/(enabled|actions)."""
    info = request.match_info
    rule = await services_of(request).push_rules.get_rule(
        requester_of(request).user_id, info["scope"], info["kind"], info["rule_id"]
    )
    attr = info["attr"]
    return json_response({attr: rule.get(attr, True if attr == "enabled" else [])})


async def put_push_rule_attr(request: web.Request) -> web.Response:
    """PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/(enabled|actions)."""
    info = request.match_info
    body = await read_json(request)
    attr = info["attr"]
    if attr not in body:
        raise bad_json(f"Missing {attr}")
    await services_of(request).push_rules.set_attribute(
        requester_of(request).user_id, info["scope"], info["kind"], info["rule_id"], attr, body[attr]
    )
    return json_response({})
