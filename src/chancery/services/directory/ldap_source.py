"""The institution's LDAP directory (ldap3): its people for provisioning, and checking a password by binding.

Attributes read from each inetOrgPerson entry under the base: uid (the localpart), displayName (else cn),
title (position), mail, telephoneNumber, employeeType ("external" marks an external account) and ou (the
organisation path, "Ministry/Unit"); without ou, the organisation is the entry's ou= RDNs below the base,
outermost first. Blocking calls: run them in a thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

from ...storage.directory import Person
from .sources import SourceError, collect

PEOPLE_FILTER = "(&(objectClass=inetOrgPerson)(uid=*))"
ATTRIBUTES = ["uid", "displayName", "cn", "title", "mail", "telephoneNumber", "employeeType", "ou"]
TIMEOUT_S = 10


@dataclass(frozen=True)
class LdapSettings:
    url: str
    base: str
    bind_dn: str = ""
    password: str = ""


def _connect(settings: LdapSettings) -> ldap3.Connection:
    server = ldap3.Server(settings.url, connect_timeout=TIMEOUT_S)
    conn = ldap3.Connection(
        server, user=settings.bind_dn or None, password=settings.password or None, receive_timeout=TIMEOUT_S
    )
    if not conn.bind():
        raise SourceError([f"LDAP bind as {settings.bind_dn or '(anonymous)'} failed: {conn.result['description']}"])
    return conn


def _first(entry: dict[str, Any], name: str) -> str:
    values = entry.get(name) or []
    if isinstance(values, str):
        return values
    return str(values[0]) if values else ""


def organisation_from_dn(dn: str, base: str) -> str:
    """The ou= RDNs between the entry and the base, outermost first: "Finance/Budget"."""
    base_len = len(parse_dn(base)) if base else 0
    rdns = parse_dn(dn)
    inner = rdns[1 : len(rdns) - base_len] if base_len else rdns[1:]
    return "/".join(value for attr, value, _ in reversed(inner) if attr.lower() == "ou")


def _fields(dn: str, entry: dict[str, Any], base: str) -> dict[str, str]:
    return {
        "user_id": _first(entry, "uid"),
        "display_name": _first(entry, "displayName") or _first(entry, "cn"),
        "organisation": _first(entry, "ou") or organisation_from_dn(dn, base),
        "position": _first(entry, "title"),
        "email": _first(entry, "mail"),
        "phone": _first(entry, "telephoneNumber"),
        "external": "yes" if _first(entry, "employeeType").lower() == "external" else "no",
    }


def read_ldap(settings: LdapSettings, user_id_for: Callable[[str], str]) -> list[Person]:
    """Every person under the base (paged, so large directories work)."""
    try:
        conn = _connect(settings)
        try:
            entries = conn.extend.standard.paged_search(
                settings.base, PEOPLE_FILTER, attributes=ATTRIBUTES, paged_size=500, generator=True
            )
            rows = [
                (str(e["dn"]), _fields(str(e["dn"]), dict(e["attributes"]), settings.base))
                for e in entries
                if e.get("type") == "searchResEntry"
            ]
        finally:
            conn.unbind()
    except LDAPException as exc:
        raise SourceError([f"LDAP: {exc}"]) from exc
    return collect(rows, user_id_for)


def check_ldap_password(settings: LdapSettings, localpart: str, password: str) -> bool:
    """Whether `password` binds as the entry whose uid is `localpart`. An empty password never does (an LDAP
    server would take it as an anonymous bind)."""
    if not password:
        return False
    try:
        conn = _connect(settings)
        try:
            conn.search(settings.base, f"(&{PEOPLE_FILTER}(uid={escape_filter_chars(localpart)}))", attributes=[])
            dns = [str(e.entry_dn) for e in conn.entries]
        finally:
            conn.unbind()
        if len(dns) != 1:
            return False
        person = ldap3.Connection(ldap3.Server(settings.url, connect_timeout=TIMEOUT_S), user=dns[0], password=password)
        bound = bool(person.bind())
        person.unbind()
        return bound
    except (LDAPException, SourceError):
        return False
