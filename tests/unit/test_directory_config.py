"""[directory] settings: refused when inconsistent, so a misconfiguration stops the server at start."""

from __future__ import annotations

import pytest

from chancery.config.directory import DirectoryConfig
from chancery.config.sections import ConfigError
from chancery.services.directory.passwords import weakness


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"search_scope": "everyone"}, "search_scope"),
        ({"password_require": ["emoji"]}, "unknown classes emoji"),
        ({"terms_url": "https://x.example/terms"}, "set together"),
        ({"ldap_login": True}, "needs ldap_url"),
        ({"argon2_memory_kib": 1024}, "argon2"),
        ({"account_validity_days": -1}, "negative"),
        ({"lock_names": True}, "unknown settings"),
    ],
)
def test_bad_settings_are_refused(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        DirectoryConfig.from_table(table)


def test_weakness_names_the_first_rule_broken() -> None:
    config = DirectoryConfig.from_table({"password_min_length": 10, "password_require": ["uppercase", "symbol"]})
    breached = frozenset({"correct horse battery staple!"})
    assert weakness("short", config, breached) == "The password must be at least 10 characters long"
    assert weakness("long enough password", config, breached) == "The password must contain: uppercase, symbol"
    assert weakness("Correct Horse Battery Staple!", config, breached) is not None
    assert weakness("Quite Fine Passphrase!", config, breached) is None
