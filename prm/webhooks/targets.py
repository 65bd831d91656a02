"""Where a webhook may go: its URL checked on subscribing and again before every
delivery, and the addresses a delivery may connect to.

A tenant administrator chooses the URL, and the worker that posts to it sits inside
our network, so an address that is not public would let a tenant reach internal
services (cloud metadata, databases, admin ports). The rules:

- the scheme is https; http only where `settings.PRM_WEBHOOK_ALLOW_HTTP` is on;
- no user name or password in the URL;
- the host is an IP address in its ordinary spelling or a public host name: names
  for special or private use (localhost, *.internal, *.local, metadata.google.internal,
  single labels, ...) are refused without asking DNS, and so are IPv4 addresses in
  decimal, octal or hex spellings (2130706433, 0x7f.1, 017700000001), which some
  libraries read as addresses and others as names;
- a name is resolved once, through `settings.PRM_DNS_NAMESERVERS` (dnspython, the
  resolvers the partner DNS checks use), and EVERY address it has must be public:
  loopback, private, shared (CGNAT, 100.64/10), link-local, multicast, reserved,
  unspecified, documentation and the IPv4-in-IPv6 forms (mapped, compatible, 6to4,
  Teredo, NAT64) are refused, unless the address is in one of
  `settings.PRM_WEBHOOK_ALLOWED_NETWORKS` (CIDRs, empty by default; the test settings
  allow loopback so the tests' receivers work);
- a delivery connects to an address checked here (transport.py), never to the answer
  of a second lookup.

Written by hand: no maintained library does "resolve once through our resolvers,
check every address, hand the checked address to the connection". The ranges are
IANA's special-purpose registries; Python's `ipaddress` misses some of them
(6to4, site-local, NAT64, global-scope multicast count as global there), hence the
explicit table.
"""

from __future__ import annotations

import ipaddress
import re
import string
import time
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, urlsplit

import dns.exception
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver
import idna
from django.conf import settings

from prm.resolver import resolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# The delivery log's coarse reasons: what went wrong, never what was found inside.
ADDRESS_NOT_ALLOWED = "address not allowed"
NOT_RESOLVED = "host name did not resolve"
URL_NOT_ALLOWED = "URL not allowed"

_NETWORKS: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "an unspecified address"),
    ("10.0.0.0/8", "a private address"),
    ("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address"),
    ("172.16.0.0/12", "a private address"),
    ("192.0.0.0/24", "a reserved address"),
    ("192.0.2.0/24", "a documentation address"),
    ("192.88.99.0/24", "a reserved address"),
    ("192.168.0.0/16", "a private address"),
    ("198.18.0.0/15", "a reserved address"),
    ("198.51.100.0/24", "a documentation address"),
    ("203.0.113.0/24", "a documentation address"),
    ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "a reserved address"),
    ("::/128", "an unspecified address"),
    ("::1/128", "a loopback address"),
    ("::/96", "an IPv4-compatible IPv6 address"),
    ("::ffff:0:0/96", "an IPv4 address written as IPv6"),
    ("64:ff9b::/96", "a NAT64 address"),
    ("64:ff9b:1::/48", "a NAT64 address"),
    ("100::/64", "a reserved address"),
    ("2001::/32", "a Teredo address"),
    ("2001::/23", "a reserved address"),
    ("2001:db8::/32", "a documentation address"),
    ("2002::/16", "a 6to4 address"),
    ("fc00::/7", "a private address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a site-local address"),
    ("ff00::/8", "a multicast address"),
)
REFUSED_NETWORKS: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(network), why) for network, why in _NETWORKS
)

# Names that are never a public receiver: special-use (RFC 6761, 6762, 7686, 8375,
# 9476) and private-use suffixes, and the cloud metadata names.
_REFUSED_SUFFIXES = (
    "localhost",
    "localdomain",
    "local",
    "internal",
    "intranet",
    "private",
    "corp",
    "home",
    "lan",
    "home.arpa",
    "arpa",
    "test",
    "example",
    "invalid",
    "onion",
    "alt",
)
_REFUSED_NAMES = frozenset({"metadata.google.internal", "metadata", "instance-data"})
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# What inet_aton would read as an IPv4 address: 1 to 4 parts, decimal, octal or hex.
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_HOW = "Give an https:// address of the receiver on the public internet."


class TargetRefused(Exception):
    """A URL or address webhooks may not go to: `message` for the person who gave
    it, `category` (one of the constants above) for the delivery log."""

    def __init__(self, message: str, category: str = ADDRESS_NOT_ALLOWED) -> None:
        super().__init__(message)
        self.message = message
        self.category = category


@dataclass(frozen=True)
class Target:
    """A checked receiver: what to send in the Host header and TLS SNI (`host`), and
    the addresses a connection may use."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[IPAddress, ...]


def check(url: str) -> Target:
    """The URL's target with every address it resolves to checked; raises
    TargetRefused saying why not."""
    scheme, host, port, path, literal = parse(url)
    addresses = (literal,) if literal is not None else resolve(host)
    for address in addresses:
        why = refusal(address)
        if why is not None:
            said = (
                _spelled(address) if literal is not None else f"{host} resolves to an address that"
            )
            raise TargetRefused(f"{said} is {why}; webhooks go only to public addresses. {_HOW}")
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=addresses)


def _spelled(address: IPAddress) -> str:
    """The address as people write it (::ffff:169.254.169.254, not ::ffff:a9fe:a9fe)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return f"::ffff:{address.ipv4_mapped}"
    return str(address)


def parse(url: str) -> tuple[str, str, int, str, IPAddress | None]:
    """(scheme, host in ASCII, port, path with query, the address if the host is
    one) of an acceptable URL, without asking DNS."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        raise TargetRefused(f"This is not a valid URL. {_HOW}", URL_NOT_ALLOWED) from None
    allow_http = bool(settings.PRM_WEBHOOK_ALLOW_HTTP)
    if parts.scheme == "http" and not allow_http:
        raise TargetRefused(
            "Webhooks are sent over https only: give the receiver's https:// address.",
            URL_NOT_ALLOWED,
        )
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise TargetRefused(
            "Give an https:// address the receiver listens on"
            + (" (or an http:// one)." if allow_http else "."),
            URL_NOT_ALLOWED,
        )
    if _CONTROL.search(url.strip()):
        raise TargetRefused(
            "The URL has spaces or control characters in it; percent-encode them.",
            URL_NOT_ALLOWED,
        )
    if parts.username is not None or parts.password is not None:
        raise TargetRefused(
            "Leave the user name and password out of the URL: receivers check the "
            "X-PRM-Signature header instead.",
            URL_NOT_ALLOWED,
        )
    if port == 0:
        raise TargetRefused(f"Port 0 is not a port a receiver listens on. {_HOW}", URL_NOT_ALLOWED)
    host = _host(parts.hostname or "")
    # Non-ASCII in the path or query goes percent-encoded (UTF-8), as browsers send it.
    path = quote(parts.path or "/", safe=string.punctuation)
    if parts.query:
        path = f"{path}?{quote(parts.query, safe=string.punctuation)}"
    default_port = 443 if parts.scheme == "https" else 80
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    return parts.scheme, host, port or default_port, path, literal


def _host(raw: str) -> str:
    """The host in lower-case ASCII (IDNA), or TargetRefused for names and
    spellings webhooks never go to."""
    raw = raw.strip().rstrip(".")
    if not raw:
        raise TargetRefused(f"The URL has no host. {_HOW}", URL_NOT_ALLOWED)
    if ":" in raw:  # an IPv6 literal ([...] in the URL)
        if "%" in raw:
            raise TargetRefused(f"IPv6 zone ids are not allowed in webhook URLs. {_HOW}")
        try:
            return str(ipaddress.IPv6Address(raw))
        except ValueError:
            raise TargetRefused(f"[{raw}] is not an IPv6 address. {_HOW}") from None
    try:
        host = idna.encode(raw, uts46=True).decode("ascii").lower()
    except idna.IDNAError:
        raise TargetRefused(f"“{raw}” is not a valid host name. {_HOW}", URL_NOT_ALLOWED) from None
    if _NUMERIC_HOST.match(host):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise TargetRefused(
                f"“{host}” is not an address in its usual form: write IPv4 addresses as "
                "four decimal numbers (e.g. 198.51.100.7), not 2130706433, 0x7f.1 or "
                "017700000001."
            ) from None
    labels = host.split(".")
    if not all(_LABEL.match(label) for label in labels) or len(host) > 253:
        raise TargetRefused(f"“{host}” is not a valid host name. {_HOW}", URL_NOT_ALLOWED)
    if labels[-1].isdigit():
        raise TargetRefused(f"“{host}” is neither a host name nor an address. {_HOW}")
    if host in _REFUSED_NAMES or any(
        host == suffix or host.endswith(f".{suffix}") for suffix in _REFUSED_SUFFIXES
    ):
        raise TargetRefused(
            f"“{host}” is a local or reserved name, not one on the public internet. {_HOW}"
        )
    if len(labels) < 2:
        raise TargetRefused(
            f"“{host}” is not a public host name: give the receiver's full name "
            "(e.g. hooks.example.com)."
        )
    return host


def refusal(address: IPAddress) -> str | None:
    """Why webhooks may not go to `address` (e.g. "a loopback address"), or None."""
    if any(address in network for network in allowed_networks()):
        return None
    for network, why in REFUSED_NETWORKS:
        if address.version == network.version and address in network:
            return why
    if address.is_multicast:
        return "a multicast address"
    if not address.is_global or address.is_reserved:
        return "not a public address"
    return None


def allowed_networks() -> tuple[IPNetwork, ...]:
    return _networks(tuple(settings.PRM_WEBHOOK_ALLOWED_NETWORKS))


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    # A bad entry fails loudly (prm.webhooks.checks reports it at start-up too).
    return tuple(ipaddress.ip_network(entry.strip()) for entry in entries if entry.strip())


def resolve(host: str) -> tuple[IPAddress, ...]:
    """Every A and AAAA address of `host`, asked once of the configured resolvers."""
    active = resolver()
    try:
        qname = dns.name.from_text(host)  # absolute: no search domains appended
    except dns.exception.DNSException:
        raise TargetRefused(f"“{host}” is not a valid host name. {_HOW}", URL_NOT_ALLOWED) from None
    found: list[IPAddress] = []
    # One budget for both questions, so a slow resolver holds a page or a try no
    # longer than PRM_DNS_LIFETIME.
    deadline = time.monotonic() + active.lifetime
    for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        try:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise dns.exception.Timeout
            answer = active.resolve(
                qname, rdtype, raise_on_no_answer=False, search=False, lifetime=remaining
            )
        except dns.resolver.NXDOMAIN:
            raise TargetRefused(
                f"{host} does not exist in DNS; check the receiver's host name.", NOT_RESOLVED
            ) from None
        except dns.exception.DNSException:
            raise TargetRefused(
                f"{host} could not be looked up in DNS just now; check the name and try again.",
                NOT_RESOLVED,
            ) from None
        for record in answer:
            address = ipaddress.ip_address(record.address)
            if address not in found:
                found.append(address)
    if not found:
        raise TargetRefused(
            f"{host} has no address in DNS; check the receiver's host name.", NOT_RESOLVED
        )
    return tuple(found)
