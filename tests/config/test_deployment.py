"""The shipped deployment files keep the app behind its proxy: every published port on
loopback, gunicorn's access log through the redacting logger."""

import re
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
# "${WEB_BIND:-127.0.0.1}:${WEB_PORT:-8000}:8000" -> the host part, with defaults applied.
VARIABLE_WITH_DEFAULT = re.compile(r"\$\{[A-Z_]+:-([^}]*)\}")


def published_host_addresses() -> dict[str, list[str]]:
    compose = YAML(typ="safe").load((ROOT / "docker-compose.yml").read_text())
    addresses: dict[str, list[str]] = {}
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            mapping = VARIABLE_WITH_DEFAULT.sub(r"\1", str(port))
            parts = mapping.split(":")
            # "8000:8000" or "8000" publish on every interface: no host address given.
            addresses.setdefault(name, []).append(parts[0] if len(parts) == 3 else "0.0.0.0")
    return addresses


def test_compose_publishes_every_port_on_loopback_only():
    addresses = published_host_addresses()

    assert "proxy" in addresses
    # web scales (`--scale web=3`): no fixed host port; the proxy reaches every container.
    assert "web" not in addresses
    assert {address for service in addresses.values() for address in service} == {"127.0.0.1"}


def test_the_image_logs_requests_through_the_redacting_logger():
    command = (ROOT / "Dockerfile").read_text()

    assert '"--logger-class", "config.access_log.RedactingLogger"' in command
    assert "--forwarded-allow-ips" not in command  # gunicorn's default: 127.0.0.1 only
