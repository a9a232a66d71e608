"""The `[diagnostics.connectivity]` settings: the endpoints each check talks to and its time limit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

# App defaults. They point at public endpoints and are used only when the user runs the connectivity checks
# (`deskside diagnose --network`, the "Test my connection" button, or the setting). Tests override every one.
DEFAULTS: dict[str, Any] = {
    "dns_name": "example.com",
    "dns_servers": [],  # empty: the servers of /etc/resolv.conf
    "gateway": "",  # empty: the default route's gateway
    "gateway_port": 53,
    "internet_url": "http://detectportal.firefox.com/success.txt",
    "ip_endpoint": "1.1.1.1:443",  # reached by address, so it works (or not) without DNS
    "tls_url": "https://example.com/",
    "ca_file": "",  # empty: the system's trusted certificates
    "ntp_server": "",  # empty: clock skew comes from the HTTP Date headers
    "proxy": "auto",  # "auto": the proxy of the environment; "" or "none": do not check a proxy; or a URL
    "timeout": 2.0,
}
MAX_TIMEOUT = 10.0  # per check; the collector as a whole stops after 15 s
CHECK_NAMES = ("dns", "gateway", "internet", "ip", "tls", "ntp", "proxy")
TIMEOUT_KEYS = tuple(f"{c}_timeout" for c in CHECK_NAMES)


@dataclass
class ConnectivityConfig:
    dns_name: str = DEFAULTS["dns_name"]
    dns_servers: list[str] = field(default_factory=list)
    gateway: str = ""
    gateway_port: int = DEFAULTS["gateway_port"]
    internet_url: str = DEFAULTS["internet_url"]
    ip_endpoint: str = DEFAULTS["ip_endpoint"]
    tls_url: str = DEFAULTS["tls_url"]
    ca_file: str = ""
    ntp_server: str = ""
    proxy: str = "auto"
    timeout: float = DEFAULTS["timeout"]
    timeouts: dict[str, float] = field(default_factory=dict)

    def timeout_for(self, check: str) -> float:
        return self.timeouts.get(check, self.timeout)

    @classmethod
    def from_options(cls, opts: Mapping[str, Any]) -> tuple[ConnectivityConfig, list[str]]:
        """The config from `[diagnostics.connectivity]`, and a plain message per bad value (that value keeps its
        default)."""
        cfg = cls()
        problems: list[str] = []
        where = "[diagnostics.connectivity] in config.toml"
        for key, value in opts.items():
            if key in ("dns_name", "gateway", "internet_url", "ip_endpoint", "tls_url", "ca_file", "ntp_server",
                       "proxy"):
                if not isinstance(value, str):
                    problems.append(f"{key} must be text (in quotes), not {value!r}, so its check is skipped; "
                                    f"fix {key} in {where}")
                    if key not in ("ca_file", "proxy"):
                        setattr(cfg, key, "")
                    continue
                value = value.strip()
                # A bad address switches its check off (never falls back to the public default).
                if key == "internet_url" and value and urlsplit(value).scheme not in ("http", "https"):
                    problems.append(f"internet_url {value!r} is not an http:// or https:// address, so the internet "
                                    f"check is skipped; fix it in {where}")
                    value = ""
                if key == "tls_url" and value and urlsplit(value).scheme != "https":
                    problems.append(f"tls_url {value!r} is not an https:// address, so the TLS check is skipped; "
                                    f"fix it in {where}")
                    value = ""
                setattr(cfg, key, value)
            elif key == "dns_servers":
                if isinstance(value, str):
                    value = [value] if value.strip() else []
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    problems.append("dns_servers must be a list of addresses such as [\"192.0.2.53\"]; "
                                    f"fix it in {where}")
                    continue
                cfg.dns_servers = [v.strip() for v in value if v.strip()]
            elif key == "gateway_port":
                if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 65536:
                    problems.append(f"gateway_port must be a port number (1-65535), not {value!r}; fix it in {where}")
                    continue
                cfg.gateway_port = value
            elif key == "timeout" or key in TIMEOUT_KEYS:
                if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= MAX_TIMEOUT:
                    problems.append(f"{key} must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}, "
                                    f"not {value!r}; "
                                    f"fix it in {where}")
                    continue
                if key == "timeout":
                    cfg.timeout = float(value)
                else:
                    cfg.timeouts[key.removesuffix("_timeout")] = float(value)
            else:
                problems.append(f"unknown setting {key!r} ignored; known: "
                                f"{', '.join(sorted([*DEFAULTS, *TIMEOUT_KEYS]))}")
        return cfg, problems

    def public_dict(self) -> dict[str, Any]:
        """The targets used, for the report (no secrets are configured here)."""
        return {
            "dns_name": self.dns_name, "dns_servers": list(self.dns_servers), "gateway": self.gateway,
            "gateway_port": self.gateway_port, "internet_url": self.internet_url, "ip_endpoint": self.ip_endpoint,
            "tls_url": self.tls_url, "ca_file": self.ca_file, "ntp_server": self.ntp_server,
            "timeout": self.timeout, **{f"{k}_timeout": v for k, v in self.timeouts.items()},
        }
