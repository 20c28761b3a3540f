"""Configuration: a commented TOML file in the data directory, overridable from the command line."""

from .core import CONFIG_FILE_NAME, Config, load_config_file, render_template
from .sections import ConfigError, Section

__all__ = ["CONFIG_FILE_NAME", "Config", "ConfigError", "Section", "load_config_file", "render_template"]
