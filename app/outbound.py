"""Requests Atrium makes to addresses a tenant typed (identity provider metadata, OpenID Connect
discovery and keys, later webhooks and HR connectors), guarded against server-side request forgery.

An address is refused when its host resolves to a private, loopback, link-local, multicast,
reserved or unspecified address, unless the operator allowed it (``OUTBOUND_ALLOW_PRIVATE=1``, or
``OUTBOUND_ALLOWED_HOSTS``: host names or networks, comma-separated, e.g. ``idp.local,10.20.0.0/16``).
Only http and https; redirects are followed by hand (at most 3), each one checked again; a response
is read up to a size limit with a timeout. The address is checked against what the host resolves to
right before the request, and the connection is pinned to that address, so a host whose DNS answer
changes in between (DNS rebinding) still reaches only the checked address.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from flask import current_app
from requests.adapters import HTTPAdapter

MAX_BYTES = 5 * 1024 * 1024
TIMEOUT_SECONDS = 10
MAX_REDIRECTS = 3


class OutboundRefused(Exception):
    """The address may not be fetched, or fetching it failed; *message* says why, for an admin."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Fetched:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        import json

        return json.loads(self.body)


def _allowed_networks() -> tuple[bool, set[str], list[Any]]:
    config = current_app.config
    allow_all = str(config.get("OUTBOUND_ALLOW_PRIVATE") or "").lower() in {"1", "true", "yes", "on"}
    hosts: set[str] = set()
    networks: list[Any] = []
    for part in str(config.get("OUTBOUND_ALLOWED_HOSTS") or "").split(","):
        part = part.strip().lower()
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            hosts.add(part)
    return allow_all, hosts, networks


def _is_public(address: Any) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def check_url(url: str) -> tuple[str, str]:
    """The (host, address) *url* may be fetched at; raises OutboundRefused naming the problem."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise OutboundRefused(f"only http and https addresses can be fetched, not {parts.scheme or 'none'}")
    host = (parts.hostname or "").lower()
    if not host:
        raise OutboundRefused("the address has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise OutboundRefused("the address has an invalid port") from None
    return host, check_host(host, port)


def check_host(host: str, port: int) -> str:
    """The address a connection to *host* (any protocol, e.g. LDAP) may go to; raises OutboundRefused."""
    host = host.lower()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise OutboundRefused(f"{host} cannot be resolved ({error})") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    allow_all, hosts, networks = _allowed_networks()
    for address in addresses:
        if allow_all or host in hosts or any(address in network for network in networks):
            continue
        if not _is_public(address):
            raise OutboundRefused(
                f"{host} resolves to {address}, a private or local address; "
                "an operator can allow it with OUTBOUND_ALLOWED_HOSTS"
            )
    return str(addresses[0])


class _PinnedAdapter(HTTPAdapter):
    """Connects to the checked address while keeping the host name for TLS (SNI and certificate)."""

    def __init__(self, host: str, address: str) -> None:
        self._host, self._address = host, address
        super().__init__(max_retries=0)

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        parts = urlsplit(request.url)
        if (parts.hostname or "").lower() == self._host:
            netloc = f"[{self._address}]" if ":" in self._address else self._address
            if parts.port:
                netloc += f":{parts.port}"
            request.url = parts._replace(netloc=netloc).geturl()
            request.headers["Host"] = parts.netloc.rpartition("@")[2]
            if parts.scheme == "https":
                self.poolmanager.connection_pool_kw["server_hostname"] = self._host
                self.poolmanager.connection_pool_kw["assert_hostname"] = self._host
        return super().send(request, **kwargs)


_CREDENTIAL_HEADERS = {"authorization", "proxy-authorization", "cookie"}


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), port or (443 if scheme == "https" else 80)


def _why_unreachable(error: requests.RequestException, timeout: float) -> str:
    """Say in words why a request failed (an admin reads it on a status page, not a class name)."""
    if isinstance(error, requests.exceptions.SSLError):
        return "its TLS certificate could not be verified"
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return f"no connection within {timeout:g} seconds"
    if isinstance(error, requests.exceptions.Timeout):
        return f"no answer within {timeout:g} seconds"
    if isinstance(error, requests.exceptions.ConnectionError):
        return "the connection was refused or dropped"
    return "the request failed"


def fetch(
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    data: Any = None,
    max_bytes: int = MAX_BYTES,
    timeout: float = TIMEOUT_SECONDS,
    verify: bool | str = True,
) -> Fetched:
    """Fetch *url* through the guard; raises OutboundRefused (refused address, network error, too big)."""
    for _hop in range(MAX_REDIRECTS + 1):
        host, address = check_url(url)
        with requests.Session() as session:
            session.trust_env = False  # no proxy from the environment: the guard checks the real address
            session.mount("http://", _PinnedAdapter(host, address))
            session.mount("https://", _PinnedAdapter(host, address))
            try:
                response = session.request(
                    method,
                    url,
                    headers=headers,
                    data=data,
                    timeout=timeout,
                    allow_redirects=False,
                    stream=True,
                    verify=verify,
                )
            except requests.RequestException as error:
                why = _why_unreachable(error, timeout)
                raise OutboundRefused(f"{host} could not be reached: {why}") from None
            with response:
                if response.is_redirect and response.headers.get("Location"):
                    previous, url = url, urljoin(url, response.headers["Location"])
                    if _origin(url) != _origin(previous) and headers:
                        # As browsers and requests do: credentials are for the host they were typed for.
                        headers = {k: v for k, v in headers.items() if k.lower() not in _CREDENTIAL_HEADERS}
                    if response.status_code in (301, 302, 303):
                        method, data = "GET", None
                    continue
                body = bytearray()  # grows in place: joining bytes would copy the whole answer per chunk
                for chunk in response.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > max_bytes:
                        raise OutboundRefused(f"the answer from {host} is larger than {max_bytes} bytes")
                headers_seen = dict(response.headers)
                return Fetched(url=url, status=response.status_code, headers=headers_seen, body=bytes(body))
    raise OutboundRefused(f"more than {MAX_REDIRECTS} redirects")
