"""The DNS resolver the application asks: the name servers of
`settings.PRM_DNS_NAMESERVERS` (`host[:port]` entries; none = the system's), within
`settings.PRM_DNS_LIFETIME` seconds, without a cache. Partner records' DNS checks and
webhook receivers' addresses use the same one, so a test points both at its resolver
on loopback with one setting."""

from __future__ import annotations

import ipaddress
import socket

import dns.nameserver
import dns.resolver
from django.conf import settings


def resolver() -> dns.resolver.Resolver:
    """A new resolver on the configured name servers; without a cache, since a
    re-check or a delivery must see what DNS says now."""
    configured = [entry.strip() for entry in settings.PRM_DNS_NAMESERVERS if entry.strip()]
    result = dns.resolver.Resolver(configure=not configured)
    if configured:
        nameservers: list[str | dns.nameserver.Nameserver] = []
        for entry in configured:
            host, port = _nameserver(entry)
            try:
                ipaddress.ip_address(host)
            except ValueError:
                host = str(socket.getaddrinfo(host, port, proto=socket.IPPROTO_UDP)[0][4][0])
            nameservers.append(dns.nameserver.Do53Nameserver(host, port))
        result.nameservers = nameservers
    lifetime = float(settings.PRM_DNS_LIFETIME)
    result.lifetime = lifetime
    result.timeout = min(lifetime, 2.0)
    result.cache = None
    return result


def _nameserver(entry: str) -> tuple[str, int]:
    if entry.startswith("["):  # [IPv6]:port
        host, _, rest = entry[1:].partition("]")
        port = rest.lstrip(":")
    elif entry.count(":") == 1:
        host, port = entry.split(":")
    else:
        host, port = entry, ""
    return host, int(port) if port else 53
