"""[retention]: Message retention per classification level, and the purge job."""

from __future__ import annotations

from dataclasses import dataclass, field

from .sections import ConfigError, Section


@dataclass(frozen=True)
class LifetimePolicy(Section):
    """How long messages of rooms of one classification level are kept (days; 0: no default, no maximum)."""

    TABLE = "retention.level"
    # Rooms without m.room.retention: delete messages older than this. 0: keep them.
    default_days: int = 0
    # The longest a room may keep messages, whatever its m.room.retention says. 0: no maximum.
    max_days: int = 0

    def __post_init__(self) -> None:
        if self.default_days < 0 or self.max_days < 0:
            raise ConfigError("retention lifetimes must not be negative")
        if self.max_days and self.default_days > self.max_days:
            raise ConfigError("a retention default_days must not exceed its max_days")


@dataclass(frozen=True)
class RetentionConfig(Section):
    TABLE = "retention"
    TEMPLATE = """\
[retention]
# Delete messages older than the room's lifetime (m.room.retention max_lifetime, else the default of its
# classification level below), in small batches in the background. Nothing under legal hold is deleted,
# nor state events (names, members, permissions). No lifetime is shorter than one day.
# purge = false
# Seconds between purge runs, and how many messages one batch (one short transaction) deletes.
# interval_s = 3600
# batch_size = 100
# Rooms without a classification (or of a level not listed under [retention.levels]):
# [retention.unclassified]
# default_days = 0
# max_days = 0
# Per classification level, e.g.:
# [retention.levels.RESTRICTED]
# default_days = 365
# max_days = 1825
"""
    purge: bool = False
    interval_s: int = 3600
    batch_size: int = 100
    unclassified: LifetimePolicy = field(default_factory=LifetimePolicy)
    levels: dict[str, LifetimePolicy] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.interval_s < 1:
            raise ConfigError("retention.interval_s must be at least 1")
        if not 1 <= self.batch_size <= 10_000:
            raise ConfigError("retention.batch_size must be between 1 and 10000")

    def policy_for(self, level: str | None) -> LifetimePolicy:
        return self.levels.get(level, self.unclassified) if level is not None else self.unclassified
