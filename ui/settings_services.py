"""What the Settings page needs from the application (desktop/settings_hub.py provides it). Every method may block
(config files, keyring): the page calls them only inside jobs on the task runner."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from .settings_spec import Path, Setting


@dataclass
class SettingValue:
    """One setting as the files give it: the user's value, the organisation's, and whether it is locked."""

    user: Any = None  # in the user's config.toml (None: not written there)
    organisation: Any = None  # in the organisation's config (None: not set there)
    locked: bool = False  # the organisation locked it: the user's value is ignored and the field is read-only
    adds_to_organisation: bool = False  # a list both add to (the redaction words): the user's words come on top

    def effective(self, setting: Setting) -> Any:
        if self.adds_to_organisation and not self.locked:
            return self.user
        if self.user is not None and not self.locked:
            return self.user
        if self.organisation is not None:
            return self.organisation
        return setting.default

    @property
    def from_organisation(self) -> bool:
        return self.organisation is not None and (self.locked or self.user is None or self.adds_to_organisation)


@dataclass(frozen=True)
class ConfigNotice:
    """A warning about a config file (an unknown key, a locked key the user set, a broken organisation's file)."""

    file: str
    message: str
    line: int | None = None
    organisation: bool = False  # about the organisation's file (the user cannot fix it: IT support can)

    def __str__(self) -> str:
        return f"{self.file}{':' + str(self.line) if self.line else ''}: {self.message}"


@dataclass
class SettingsSnapshot:
    values: dict[Path, SettingValue] = field(default_factory=dict)
    config_path: str = ""  # the user's config.toml
    organisation_path: str = ""  # the organisation's config file ("" when there is none)
    problem: str = ""  # the user's config.toml cannot be read: nothing can be saved until it is fixed
    notices: list[ConfigNotice] = field(default_factory=list)  # warnings about the files (shown atop the page)


class SettingsHub(Protocol):
    def load(self, paths: list[Path]) -> SettingsSnapshot:
        """The values of `paths` from the user's and the organisation's config."""
        ...

    def save(self, changes: dict[Path, Any]) -> str:
        """Write `changes` (None: remove the key) into the user's config.toml, checked against its schema first
        (a refused value raises with a message naming it, and nothing is written); returns what was done."""
        ...

    def welcome_state(self) -> tuple[bool, bool]:
        """(the welcome was shown before, a support backend is configured by the user or the organisation)."""
        ...

    def mark_welcome_shown(self) -> None: ...
