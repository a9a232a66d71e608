"""One connector per support backend. `CONNECTORS` maps the `type = "..."` of a `[backends.NAME]` table to a class."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError
from .base import Connector, FilePart, HttpRequest, MailRequest, Request, Submitted

# type -> "module:Class" (imported on first use)
_REGISTRY = {
    "rt": "rt:RTConnector",
    "zammad": "zammad:ZammadConnector",
    "glpi": "glpi:GLPIConnector",
    "osticket": "osticket:OsTicketConnector",
    "jira": "jira:JiraServiceManagementConnector",
    "freshdesk": "freshdesk:FreshdeskConnector",
    "zendesk": "zendesk:ZendeskConnector",
    "redmine": "redmine:RedmineConnector",
    "github": "github:GitHubConnector",
    "gitlab": "gitlab:GitLabConnector",
    "email": "email:EmailConnector",
    "webhook": "webhook:WebhookConnector",
}
TYPES = tuple(_REGISTRY)


def connector_class(type_: str) -> type[Connector]:
    spec = _REGISTRY.get(str(type_))
    if spec is None:
        raise ConfigError(f"unknown backend type {type_!r}; use one of: {', '.join(TYPES)}")
    mod, cls = spec.split(":")
    module = importlib.import_module(f"{__name__}.{mod}")
    klass: type[Connector] = getattr(module, cls)
    return klass


def make_connector(name: str, config: Mapping[str, Any], secrets: Mapping[str, str] | None = None,
                   **kw: Any) -> Connector:
    if "type" not in config:
        raise ConfigError(f"[backends.{name}] has no type; add type = \"rt\" (or one of: {', '.join(TYPES)})")
    return connector_class(config["type"])(name, config, secrets, **kw)


__all__ = ["TYPES", "Connector", "FilePart", "HttpRequest", "MailRequest", "Request", "Submitted",
           "connector_class", "make_connector"]
