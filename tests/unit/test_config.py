"""chancery.toml: sections parsed from their dataclass fields, unknown or mistyped settings refused."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from chancery.config import Config, ConfigError, Section, load_config_file, render_template


@dataclass(frozen=True)
class _Example(Section):
    TABLE = "example"
    enabled: bool = False
    limit: int = 3
    ratio: float = 0.5
    name: str | None = None
    hosts: tuple[str, ...] = ()
    levels: dict[str, int] | None = None


def test_a_section_reads_each_field_by_its_type() -> None:
    section = _Example.from_table(
        {"enabled": True, "limit": 7, "ratio": 2, "name": "x", "hosts": ["a", "b"], "levels": {"S": 3}}
    )
    assert section == _Example(True, 7, 2.0, "x", ("a", "b"), {"S": 3})


@pytest.mark.parametrize(
    "table",
    [{"enabled": "yes"}, {"limit": True}, {"limit": 1.5}, {"hosts": "a"}, {"hosts": [1]}, {"levels": {"S": "x"}}],
)
def test_a_mistyped_setting_is_refused(table: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        _Example.from_table(table)


def test_an_unknown_setting_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown settings: limt"):
        _Example.from_table({"limt": 3})
    path = tmp_path / "chancery.toml"
    path.write_text('server_name = "example.org"\n[no_such_table]\nx = 1\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="no_such_table"):
        load_config_file(path, Config())


def test_the_generated_file_loads_back_unchanged(tmp_path: Path) -> None:
    config = Config(server_name="example.org", data_dir=tmp_path)
    path = tmp_path / "chancery.toml"
    path.write_text(render_template(config), encoding="utf-8")
    assert load_config_file(path, Config(data_dir=tmp_path)) == config
