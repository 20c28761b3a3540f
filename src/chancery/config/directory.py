"""[directory]: The institution's directory: provisioning sources, locked profiles, search scope, account lifecycle."""

from __future__ import annotations

from dataclasses import dataclass

from .sections import ConfigError, Section

SEARCH_SCOPES = ("shared_rooms", "institution")
PASSWORD_CLASSES = ("lowercase", "uppercase", "digit", "symbol")


@dataclass(frozen=True)
class DirectoryConfig(Section):
    TABLE = "directory"
    TEMPLATE = """\
[directory]
# Display names come from the directory: true refuses users' own renames (403 M_FORBIDDEN,
# "org.chancery.reason": "directory"). Administrators and provisioning still change them.
# lock_display_names = false
# Whom the user directory search finds: "shared_rooms" (people sharing a room with the searcher, or in a
# public room: the Matrix default) or "institution" (every active account).
# search_scope = "shared_rooms"
# Accounts expire this many days after creation or renewal (403 ORG_MATRIX_EXPIRED_ACCOUNT until an
# administrator renews them). 0: accounts never expire.
# account_validity_days = 0
# Terms of use every person accepts before first use (UIA m.login.terms on registration; existing accounts
# are held at 403 M_TERMS_NOT_SIGNED until they accept a newly published version). Empty: no terms.
# terms_url = "https://intranet.example/chancery-terms-v2.html"
# terms_version = "2"
# Password policy, on registration, password change and administrator resets (400 M_WEAK_PASSWORD).
# password_min_length = 8
# Character classes every password must contain: "lowercase", "uppercase", "digit", "symbol".
# password_require = []
# A local file of breached passwords, one a line (e.g. a common-passwords list); empty: no check.
# password_breached_list = ""
# argon2id cost for new password hashes (existing hashes keep theirs until the password changes).
# argon2_time_cost = 3
# argon2_memory_kib = 65536
# The institution's LDAP directory: `chancery directory sync` reads people from it (options given on the
# command line win), and with ldap_login people log in with its password (checked by binding as their entry).
# ldap_login = false
# ldap_url = "ldaps://ldap.example:636"
# ldap_base = "ou=people,dc=example"
# Service account used to find a person's entry (empty: anonymous), and a file holding its password.
# ldap_bind_dn = ""
# ldap_password_file = ""
"""

    lock_display_names: bool = False
    search_scope: str = "shared_rooms"
    account_validity_days: int = 0
    terms_url: str = ""
    terms_version: str = ""
    password_min_length: int = 8
    password_require: tuple[str, ...] = ()
    password_breached_list: str = ""
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    ldap_login: bool = False
    ldap_url: str = ""
    ldap_base: str = ""
    ldap_bind_dn: str = ""
    ldap_password_file: str = ""

    def __post_init__(self) -> None:
        if self.search_scope not in SEARCH_SCOPES:
            raise ConfigError(f"directory.search_scope must be one of {', '.join(SEARCH_SCOPES)}")
        unknown = sorted(set(self.password_require) - set(PASSWORD_CLASSES))
        if unknown:
            raise ConfigError(f"directory.password_require: unknown classes {', '.join(unknown)}")
        if self.account_validity_days < 0 or self.password_min_length < 0:
            raise ConfigError("directory.account_validity_days and password_min_length must not be negative")
        if self.argon2_time_cost < 1 or self.argon2_memory_kib < 8192:
            raise ConfigError("directory.argon2_time_cost must be >= 1 and argon2_memory_kib >= 8192")
        if bool(self.terms_url) != bool(self.terms_version):
            raise ConfigError("directory.terms_url and terms_version are set together")
        if self.ldap_login and not (self.ldap_url and self.ldap_base):
            raise ConfigError("directory.ldap_login needs ldap_url and ldap_base")

    @property
    def validity_ms(self) -> int | None:
        return self.account_validity_days * 86_400_000 if self.account_validity_days else None
