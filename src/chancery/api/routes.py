"""The one route table: every endpoint, its auth kind and its rate-limit bucket."""

from __future__ import annotations

from dataclasses import replace

from ..http.routing import Route
from . import web_client
from .admin import audit as admin_audit
from .admin import classification as admin_classification
from .admin import devices as admin_devices
from .admin import directory as admin_directory
from .admin import lifecycle as admin_lifecycle
from .admin import media as admin_media
from .admin import retention as admin_retention
from .admin import synapse_media, synapse_rooms, synapse_server, synapse_users
from .client import (
    account,
    classification,
    discovery,
    key_backup,
    keys,
    legacy,
    media,
    openid_voip,
    push,
    reports,
    room_events,
    room_upgrades,
    rooms,
    search,
    sliding_sync,
    spaces,
    sync,
    terms,
    to_device,
    user_data,
)
from .federation import openid as federation_openid

C = "/_matrix/client/v3"
V1 = "/_matrix/client/v1"
UNSTABLE = "/_matrix/client/unstable"
R = C + "/rooms/{room_id}"
U = C + "/user/{user_id}"
P = C + "/pushrules/{scope}/{kind}/{rule_id}"
SA1 = "/_synapse/admin/v1"
SA2 = "/_synapse/admin/v2"
CA = "/_chancery/admin/v1"
ACCREDITATION = CA + "/users/{user_id}/devices/{device_id}/accreditation"
SLIDING_SYNC = "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync"
ADMIN_DEVICE = CA + "/users/{user_id}/devices/{device_id}"
HOLD = CA + "/legal_holds/{kind:rooms|users}/{target}"


def client_routes() -> list[Route]:
    return [
        # discovery
        Route("GET", "/_matrix/client/versions", discovery.get_versions, auth="none"),
        Route("GET", "/.well-known/matrix/client", discovery.get_well_known, auth="none"),
        Route("GET", C + "/capabilities", discovery.get_capabilities),
        Route("GET", "/health", discovery.get_health, auth="none"),
        # accounts
        Route("POST", C + "/register", account.post_register, auth="none", bucket="register"),
        Route("GET", C + "/register/available", account.get_register_available, auth="none", bucket="register"),
        Route(
            "GET",
            V1 + "/register/m.login.registration_token/validity",
            account.get_registration_token_validity,
            auth="none",
            bucket="register",
        ),
        Route("GET", C + "/login", account.get_login, auth="none"),
        Route("POST", C + "/login", account.post_login, auth="none", bucket="login"),
        Route("POST", C + "/refresh", account.post_refresh, auth="none", bucket="login"),
        Route("POST", C + "/logout", account.post_logout, while_held=True),
        Route("POST", C + "/logout/all", account.post_logout_all, while_held=True),
        Route("GET", C + "/account/whoami", account.get_whoami),
        Route("POST", C + "/account/password", account.post_password, bucket="login"),
        Route("POST", C + "/account/deactivate", account.post_deactivate, bucket="login"),
        Route("GET", C + "/devices", account.get_devices),
        Route("GET", C + "/devices/{device_id}", account.get_device),
        Route("PUT", C + "/devices/{device_id}", account.put_device),
        Route("DELETE", C + "/devices/{device_id}", account.delete_device, bucket="login"),
        Route("POST", C + "/delete_devices", account.post_delete_devices, bucket="login"),
        # profile, account data, filters, presence, directory, push rules
        Route("GET", C + "/profile/{user_id}", user_data.get_profile, auth="optional"),
        Route("GET", C + "/profile/{user_id}/{field}", user_data.get_profile_field, auth="optional"),
        Route("PUT", C + "/profile/{user_id}/{field}", user_data.put_profile_field),
        Route("GET", U + "/account_data/{type}", user_data.get_account_data),
        Route("PUT", U + "/account_data/{type}", user_data.put_account_data),
        Route("GET", U + "/rooms/{room_id}/account_data/{type}", user_data.get_account_data),
        Route("PUT", U + "/rooms/{room_id}/account_data/{type}", user_data.put_account_data),
        Route("GET", U + "/rooms/{room_id}/tags", user_data.get_tags),
        Route("PUT", U + "/rooms/{room_id}/tags/{tag}", user_data.put_tag),
        Route("DELETE", U + "/rooms/{room_id}/tags/{tag}", user_data.delete_tag),
        Route("POST", U + "/filter", user_data.post_filter),
        Route("GET", U + "/filter/{filter_id}", user_data.get_filter),
        Route("POST", C + "/user_directory/search", user_data.post_user_directory_search),
        Route("GET", C + "/presence/{user_id}/status", user_data.get_presence),
        Route("PUT", C + "/presence/{user_id}/status", user_data.put_presence),
        Route("GET", C + "/pushrules/", user_data.get_push_rules),
        Route("GET", C + "/pushrules", user_data.get_push_rules),
        Route("GET", C + "/pushrules/{scope}/", user_data.get_push_rules_scope),
        Route("GET", C + "/pushrules/{scope}", user_data.get_push_rules_scope),
        Route("GET", C + "/pushrules/{scope}/{kind}/", user_data.get_push_rules_of_kind),
        Route("GET", P + "/", user_data.get_push_rule),
        Route("PUT", P + "/", user_data.put_push_rule),
        Route("DELETE", P + "/", user_data.delete_push_rule),
        Route("GET", P, user_data.get_push_rule),
        Route("PUT", P, user_data.put_push_rule),
        Route("DELETE", P, user_data.delete_push_rule),
        Route("GET", P + "/{attr:enabled|actions}", user_data.get_push_rule_attr),
        Route("PUT", P + "/{attr:enabled|actions}", user_data.put_push_rule_attr),
        # pushers and notifications (issues 10 and 16)
        Route("GET", C + "/pushers", push.get_pushers),
        Route("POST", C + "/pushers/set", push.post_pushers_set),
        Route("GET", C + "/notifications", push.get_notifications),
        # rooms and membership
        Route("POST", C + "/createRoom", rooms.post_create_room, bucket="message"),
        Route("POST", C + "/join/{room_id_or_alias}", rooms.post_join),
        Route("POST", R + "/join", rooms.post_join),
        Route("POST", R + "/invite", rooms.post_invite),
        Route("POST", R + "/leave", rooms.post_leave),
        Route("POST", R + "/forget", rooms.post_forget),
        Route("POST", R + "/kick", rooms.post_kick),
        Route("POST", R + "/ban", rooms.post_ban),
        Route("POST", R + "/unban", rooms.post_unban),
        Route("GET", C + "/joined_rooms", rooms.get_joined_rooms),
        Route("GET", C + "/directory/room/{alias}", rooms.get_alias),
        Route("PUT", C + "/directory/room/{alias}", rooms.put_alias),
        Route("DELETE", C + "/directory/room/{alias}", rooms.delete_alias),
        Route("GET", R + "/aliases", rooms.get_room_aliases),
        Route("GET", C + "/directory/list/room/{room_id}", rooms.get_directory_visibility),
        Route("PUT", C + "/directory/list/room/{room_id}", rooms.put_directory_visibility),
        Route("GET", C + "/publicRooms", rooms.get_public_rooms, auth="optional", bucket="default"),
        Route("POST", C + "/publicRooms", rooms.post_public_rooms, auth="optional", bucket="default"),
        # room events
        Route("PUT", R + "/send/{event_type}/{txn_id}", room_events.put_send, bucket="message"),
        Route("PUT", R + "/redact/{event_id}/{txn_id}", room_events.put_redact, bucket="message"),
        Route("GET", R + "/state", room_events.get_state),
        Route("GET", R + "/state/{event_type}", room_events.get_state_event),
        Route("GET", R + "/state/{event_type}/{state_key}", room_events.get_state_event),
        Route("PUT", R + "/state/{event_type}", room_events.put_state, bucket="message"),
        Route("PUT", R + "/state/{event_type}/{state_key}", room_events.put_state, bucket="message"),
        # An empty state key as a trailing slash (how matrix-js-sdk/Element spell it).
        Route("GET", R + "/state/{event_type}/", room_events.get_state_event),
        Route("PUT", R + "/state/{event_type}/", room_events.put_state, bucket="message"),
        Route("GET", R + "/members", room_events.get_members),
        Route("GET", R + "/joined_members", room_events.get_joined_members),
        Route("GET", R + "/messages", room_events.get_messages),
        Route("GET", R + "/context/{event_id}", room_events.get_context),
        Route("GET", R + "/event/{event_id}", room_events.get_event),
        Route("GET", V1 + "/rooms/{room_id}/relations/{event_id}", room_events.get_relations),
        Route("GET", V1 + "/rooms/{room_id}/relations/{event_id}/{rel_type}", room_events.get_relations),
        Route(
            "GET",
            V1 + "/rooms/{room_id}/relations/{event_id}/{rel_type}/{event_type}",
            room_events.get_relations,
        ),
        Route("GET", V1 + "/rooms/{room_id}/threads", room_events.get_threads),
        Route("PUT", R + "/typing/{user_id}", room_events.put_typing),
        Route("POST", R + "/receipt/{receipt_type}/{event_id}", room_events.post_receipt),
        Route("POST", R + "/read_markers", room_events.post_read_markers),
        # sync
        Route("GET", C + "/sync", sync.get_sync),
        Route("POST", SLIDING_SYNC, sliding_sync.post_sliding_sync),
        # end-to-end encryption: keys, to-device, cross-signing, key backup (issue 3)
        Route("POST", C + "/keys/upload", keys.post_keys_upload),
        Route("POST", C + "/keys/query", keys.post_keys_query),
        Route("POST", C + "/keys/claim", keys.post_keys_claim),
        Route("GET", C + "/keys/changes", keys.get_keys_changes),
        Route("POST", C + "/keys/device_signing/upload", keys.post_device_signing_upload, bucket="login"),
        Route("POST", C + "/keys/signatures/upload", keys.post_signatures_upload),
        # The unstable paths of cross-signing (MSC1756) that clients written before Matrix 1.1 still call.
        Route("POST", UNSTABLE + "/keys/device_signing/upload", keys.post_device_signing_upload, bucket="login"),
        Route("POST", UNSTABLE + "/keys/signatures/upload", keys.post_signatures_upload),
        Route("PUT", C + "/sendToDevice/{event_type}/{txn_id}", to_device.put_send_to_device, bucket="message"),
        Route("POST", C + "/room_keys/version", key_backup.post_version),
        Route("GET", C + "/room_keys/version", key_backup.get_version),
        Route("GET", C + "/room_keys/version/{version}", key_backup.get_version),
        Route("PUT", C + "/room_keys/version/{version}", key_backup.put_version),
        Route("DELETE", C + "/room_keys/version/{version}", key_backup.delete_version),
        *[
            Route(method, C + "/room_keys/keys" + suffix, handler)
            for suffix in ("", "/{room_id}", "/{room_id}/{session_id}")
            for method, handler in (
                ("GET", key_backup.get_keys),
                ("PUT", key_backup.put_keys),
                ("DELETE", key_backup.delete_keys),
            )
        ],
        # media repository (issue 4)
        Route("POST", "/_matrix/media/v3/upload", media.post_upload, bucket="message"),
        Route("POST", "/_matrix/media/v1/create", media.post_create, bucket="message"),
        Route("PUT", "/_matrix/media/v3/upload/{server_name}/{media_id}", media.put_upload, bucket="message"),
        Route("GET", V1 + "/media/config", media.get_config),
        Route("GET", "/_matrix/media/v3/config", media.get_config),
        Route("GET", V1 + "/media/download/{server_name}/{media_id}", media.get_download),
        Route("GET", V1 + "/media/download/{server_name}/{media_id}/{file_name:[^/]*}", media.get_download),
        Route("GET", V1 + "/media/thumbnail/{server_name}/{media_id}", media.get_thumbnail),
        Route("GET", "/_matrix/media/v3/download/{server_name}/{media_id}", media.get_legacy_download, auth="none"),
        Route(
            "GET",
            "/_matrix/media/v3/download/{server_name}/{media_id}/{file_name:[^/]*}",
            media.get_legacy_download,
            auth="none",
        ),
        Route("GET", "/_matrix/media/v3/thumbnail/{server_name}/{media_id}", media.get_legacy_thumbnail, auth="none"),
        # legacy endpoints, room previews, guests (issue 16 conformance, part A)
        Route("GET", C + "/events", legacy.get_events),
        Route("GET", C + "/events/{event_id}", legacy.get_event),
        Route("GET", C + "/initialSync", legacy.get_initial_sync),
        Route("GET", R + "/initialSync", legacy.get_room_initial_sync),
        Route("POST", C + "/knock/{room_id_or_alias}", rooms.post_knock),
        Route("POST", R + "/upgrade", room_upgrades.post_upgrade, bucket="message"),
        Route("POST", C + "/search", search.post_search, bucket="default"),
        Route("GET", V1 + "/rooms/{room_id}/hierarchy", spaces.get_hierarchy),
        Route("GET", V1 + "/rooms/{room_id}/timestamp_to_event", spaces.get_timestamp_to_event),
        Route(
            "GET", V1 + "/room_summary/{room_id_or_alias}", spaces.get_room_summary, auth="optional", bucket="default"
        ),
        Route(
            "GET",
            UNSTABLE + "/im.nheko.summary/summary/{room_id_or_alias}",
            spaces.get_room_summary,
            auth="optional",
            bucket="default",
        ),
        # reporting content and the smaller client endpoints (issue 16 conformance, part B)
        Route("POST", R + "/report/{event_id}", reports.post_report_event, bucket="message"),
        Route("POST", R + "/report", reports.post_report_room, bucket="message"),
        Route("POST", C + "/users/{user_id}/report", reports.post_report_user, bucket="message"),
        Route("GET", C + "/voip/turnServer", openid_voip.get_turn_server),
        Route("POST", U + "/openid/request_token", openid_voip.post_openid_request_token, bucket="login"),
        Route("GET", "/_matrix/federation/v1/openid/userinfo", federation_openid.get_openid_userinfo, auth="none"),
        Route("GET", C + "/thirdparty/protocols", discovery.get_thirdparty_protocols),
        Route("GET", C + "/thirdparty/protocol/{protocol}", discovery.get_thirdparty_protocol),
        Route("GET", C + "/thirdparty/location/{protocol}", discovery.get_thirdparty_protocol),
        Route("GET", C + "/thirdparty/user/{protocol}", discovery.get_thirdparty_protocol),
        Route("GET", C + "/thirdparty/location", discovery.get_thirdparty_lookup),
        Route("GET", C + "/thirdparty/user", discovery.get_thirdparty_lookup),
        Route("GET", C + "/admin/whois/{user_id}", account.get_whois),
        Route("POST", V1 + "/login/get_token", account.post_get_login_token, bucket="login"),
        Route("DELETE", C + "/profile/{user_id}/{field}", user_data.delete_profile_field),
        Route("GET", "/.well-known/matrix/support", discovery.get_well_known_support, auth="none"),
        # classified rooms (issue 12)
        Route("GET", "/_chancery/client/v1/classification", classification.get_classification),
        *[
            Route(method, "/_chancery/admin/v1/clearances/{user_id}", handler, auth="security_officer")
            for method, handler in (
                ("GET", admin_classification.get_clearance),
                ("PUT", admin_classification.put_clearance),
                ("DELETE", admin_classification.delete_clearance),
            )
        ],
        Route("PUT", ACCREDITATION, admin_classification.put_accreditation),
        Route("DELETE", ACCREDITATION, admin_classification.delete_accreditation),
        # administration
        Route(
            "POST",
            "/_chancery/admin/v1/media/quarantine/{server_name}/{media_id}",
            admin_media.post_quarantine,
            auth="admin",
        ),
        *synapse_admin_routes(),
        # the institution's directory and account lifecycle (issue 11)
        Route("GET", "/_chancery/client/v1/terms", terms.get_terms, while_held=True),
        Route("POST", "/_chancery/client/v1/terms", terms.post_terms, while_held=True),
        Route("GET", CA + "/users/{user_id}/validity", admin_lifecycle.get_validity, auth="admin"),
        Route("POST", CA + "/users/{user_id}/renew", admin_lifecycle.post_renew, auth="admin"),
        Route("POST", CA + "/users/{user_id}/reactivate", admin_lifecycle.post_reactivate, auth="admin"),
        Route("GET", CA + "/directory/people/{user_id}", admin_directory.get_person, auth="admin"),
        Route("GET", CA + "/directory/organisations", admin_directory.get_organisations, auth="admin"),
        # device control (issue 14): the wipe is for administrators and security officers (checked inside)
        Route("POST", ADMIN_DEVICE + "/wipe", admin_devices.post_wipe),
        Route("POST", ADMIN_DEVICE + "/approve", admin_devices.post_approve, auth="admin"),
        Route("GET", CA + "/devices/awaiting_approval", admin_devices.get_awaiting_approval, auth="admin"),
        # retention, legal hold, spillage (issue 14)
        Route("GET", CA + "/legal_holds", admin_retention.get_legal_holds, auth="admin"),
        Route("PUT", HOLD, admin_retention.put_legal_hold, auth="admin"),
        Route("DELETE", HOLD, admin_retention.delete_legal_hold, auth="admin"),
        Route("POST", CA + "/retention/purge", admin_retention.post_purge, auth="admin"),
        Route("GET", CA + "/retention/policy", admin_retention.get_retention_policy, auth="admin"),
        *[
            Route(method, CA + "/retention/policy" + suffix, handler, auth="admin")
            for suffix in ("/unclassified", "/levels/{level}")
            for method, handler in (
                ("PUT", admin_retention.put_retention_policy),
                ("DELETE", admin_retention.delete_retention_policy),
            )
        ],
        Route("POST", CA + "/spillage/{room_id}/{event_id}", admin_retention.post_spillage, auth="security_officer"),
        # The audit log: for administrators and security officers (checked, and audited, by the service).
        Route("GET", "/_chancery/admin/v1/audit", admin_audit.get_audit, bucket="default"),
        Route("GET", "/_chancery/admin/v1/audit/checkpoints", admin_audit.get_checkpoints, bucket="default"),
        Route("GET", "/_chancery/admin/v1/audit/export", admin_audit.get_export, bucket="default"),
        # Chancery Web, the bundled client (issue 15): after every API route, which keep precedence.
        Route("GET", "/", web_client.get_index, auth="none"),
        Route("GET", "/config.json", web_client.get_config, auth="none"),
        Route("GET", "/assets/{name:[^/]+}", web_client.get_file, auth="none"),
        Route("GET", r"/{name:[^/]+\.[A-Za-z0-9]+}", web_client.get_file, auth="none"),
    ]


def synapse_admin_routes() -> list[Route]:
    """The Synapse-compatible admin API (issue 11), so that synapse-admin works unchanged: administrators only."""
    user1, user2, room1 = SA1 + "/users/{user_id}", SA2 + "/users/{user_id}", SA1 + "/rooms/{room_id}"
    routes = [
        # users
        ("GET", SA2 + "/users", synapse_users.get_users),
        ("GET", user2, synapse_users.get_user),
        ("PUT", user2, synapse_users.put_user),
        ("POST", SA1 + "/deactivate/{user_id}", synapse_users.post_deactivate),
        ("POST", SA1 + "/reset_password/{user_id}", synapse_users.post_reset_password),
        ("GET", user1 + "/admin", synapse_users.get_admin),
        ("PUT", user1 + "/admin", synapse_users.put_admin),
        ("GET", SA1 + "/whois/{user_id}", synapse_users.get_whois),
        ("GET", user1 + "/joined_rooms", synapse_users.get_joined_rooms),
        ("GET", user1 + "/pushers", synapse_users.get_pushers),
        ("POST", user1 + "/login", synapse_users.post_login),
        ("GET", user2 + "/devices", synapse_users.get_devices),
        ("POST", user2 + "/delete_devices", synapse_users.post_delete_devices),
        ("GET", user2 + "/devices/{device_id}", synapse_users.get_device),
        ("PUT", user2 + "/devices/{device_id}", synapse_users.put_device),
        ("DELETE", user2 + "/devices/{device_id}", synapse_users.delete_device),
        ("GET", user1 + "/media", synapse_media.get_user_media),
        ("DELETE", user1 + "/media", synapse_media.delete_user_media),
        # rooms
        ("GET", SA1 + "/rooms", synapse_rooms.get_rooms),
        ("GET", room1, synapse_rooms.get_room),
        ("GET", room1 + "/members", synapse_rooms.get_members),
        ("GET", room1 + "/state", synapse_rooms.get_state),
        ("GET", room1 + "/forward_extremities", synapse_rooms.get_forward_extremities),
        ("DELETE", room1 + "/forward_extremities", synapse_rooms.delete_forward_extremities),
        ("GET", room1 + "/block", synapse_rooms.get_block),
        ("PUT", room1 + "/block", synapse_rooms.put_block),
        ("DELETE", SA2 + "/rooms/{room_id}", synapse_rooms.delete_room),
        ("GET", SA2 + "/rooms/{room_id}/delete_status", synapse_rooms.get_room_delete_status),
        ("GET", SA2 + "/rooms/delete_status/{delete_id}", synapse_rooms.get_delete_status),
        # media
        ("POST", SA1 + "/media/quarantine/{server_name}/{media_id}", synapse_media.post_quarantine),
        ("POST", SA1 + "/media/unquarantine/{server_name}/{media_id}", synapse_media.post_unquarantine),
        ("POST", SA1 + "/media/protect/{media_id}", synapse_media.post_protect),
        ("POST", SA1 + "/media/unprotect/{media_id}", synapse_media.post_unprotect),
        ("POST", SA1 + "/media/{server_name}/delete", synapse_media.post_delete_media_before),
        ("DELETE", SA1 + "/media/{server_name}/{media_id}", synapse_media.delete_media),
        ("GET", SA1 + "/statistics/users/media", synapse_media.get_media_statistics),
        # registration tokens
        ("GET", SA1 + "/registration_tokens", synapse_server.get_registration_tokens),
        ("POST", SA1 + "/registration_tokens/new", synapse_server.post_registration_token),
        ("GET", SA1 + "/registration_tokens/{token}", synapse_server.get_registration_token),
        ("PUT", SA1 + "/registration_tokens/{token}", synapse_server.put_registration_token),
        ("DELETE", SA1 + "/registration_tokens/{token}", synapse_server.delete_registration_token),
        # server notices
        ("POST", SA1 + "/send_server_notice", synapse_server.post_server_notice),
        ("PUT", SA1 + "/send_server_notice/{txn_id}", synapse_server.put_server_notice),
        # event reports
        ("GET", SA1 + "/event_reports", synapse_server.get_event_reports),
        ("GET", SA1 + "/event_reports/{report_id}", synapse_server.get_event_report),
        ("DELETE", SA1 + "/event_reports/{report_id}", synapse_server.delete_event_report),
    ]
    return [
        Route("GET", SA1 + "/server_version", synapse_server.get_server_version, auth="none"),
        *[Route(method, route_path, handler, auth="admin") for method, route_path, handler in routes],
    ]


# What guest accounts may call (client-server API: guest access), plus what a client needs to start a
# session at all (capabilities, push rules, filters) and receipts, read markers and typing in joined rooms.
GUEST_ROUTES = {
    ("GET", R + "/state"),
    ("GET", R + "/state/{event_type}"),
    ("GET", R + "/state/{event_type}/"),
    ("GET", R + "/state/{event_type}/{state_key}"),
    ("GET", R + "/context/{event_id}"),
    ("GET", R + "/event/{event_id}"),
    ("GET", R + "/messages"),
    ("GET", R + "/members"),
    ("GET", R + "/initialSync"),
    ("GET", C + "/sync"),
    ("GET", C + "/events"),
    ("GET", V1 + "/media/download/{server_name}/{media_id}"),
    ("GET", V1 + "/media/download/{server_name}/{media_id}/{file_name:[^/]*}"),
    ("GET", V1 + "/media/thumbnail/{server_name}/{media_id}"),
    ("POST", R + "/join"),
    ("POST", C + "/join/{room_id_or_alias}"),
    ("POST", R + "/leave"),
    ("PUT", R + "/send/{event_type}/{txn_id}"),
    ("PUT", R + "/state/{event_type}"),
    ("PUT", R + "/state/{event_type}/"),
    ("PUT", R + "/state/{event_type}/{state_key}"),
    ("PUT", C + "/sendToDevice/{event_type}/{txn_id}"),
    ("GET", C + "/profile/{user_id}"),
    ("GET", C + "/profile/{user_id}/{field}"),
    ("PUT", C + "/profile/{user_id}/{field}"),  # the display name only (ProfileService refuses the rest)
    ("GET", C + "/devices"),
    ("GET", C + "/devices/{device_id}"),
    ("PUT", C + "/devices/{device_id}"),
    ("GET", C + "/account/whoami"),
    ("POST", C + "/keys/upload"),
    ("POST", C + "/keys/query"),
    ("POST", C + "/keys/claim"),
    ("GET", C + "/capabilities"),
    ("GET", C + "/pushrules/"),
    ("POST", U + "/filter"),
    ("GET", U + "/filter/{filter_id}"),
    ("PUT", R + "/typing/{user_id}"),
    ("POST", R + "/receipt/{receipt_type}/{event_id}"),
    ("POST", R + "/read_markers"),
    ("GET", C + "/publicRooms"),
    ("POST", C + "/publicRooms"),
}


def all_routes() -> list[Route]:
    """Every route, those in GUEST_ROUTES open to guest accounts."""
    return [replace(r, guest=True) if (r.method, r.path) in GUEST_ROUTES else r for r in client_routes()]


ALL_ROUTES = all_routes
