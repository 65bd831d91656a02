"""Name-server lookups for partner domains (dnspython).

A partner's domain is asked for its NS records through the resolvers named in
`settings.PRM_DNS_NAMESERVERS` (`host[:port]`, comma-separated; empty means the
system's resolvers), within `settings.PRM_DNS_LIFETIME` seconds in all, so a slow or
dead resolver becomes a "timeout" result instead of a hung page. The result is
compared with the partner's recorded primary and secondary DNS, which may be host
names or addresses.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field

import dns.exception
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver

from prm.resolver import resolver


class DnsStatus:
    OK = "ok"
    MISMATCH = "mismatch"
    NXDOMAIN = "nxdomain"
    NO_ANSWER = "no_answer"
    TIMEOUT = "timeout"

    CHOICES = [
        (OK, "Matches"),
        (MISMATCH, "Does not match"),
        (NXDOMAIN, "No such domain"),
        (NO_ANSWER, "No name servers published"),
        (TIMEOUT, "DNS did not answer in time"),
    ]


@dataclass(frozen=True)
class Lookup:
    """The name servers a domain publishes, or why there are none."""

    status: str  # ok (found), nxdomain, no_answer or timeout
    nameservers: list[str] = field(default_factory=list)
    # Addresses of each name server, to compare with DNS fields recorded as IPs.
    addresses: dict[str, list[str]] = field(default_factory=dict)
    error: str = ""


def normalize_host(value: str) -> str:
    """Lower case, no trailing dot; addresses in their canonical form."""
    value = value.strip().lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return value


def is_ip_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def lookup_nameservers(domain: str) -> Lookup:
    """Ask for `domain`'s NS records, and the addresses of each name server."""
    try:
        qname = dns.name.from_text(domain)
    except dns.exception.DNSException as error:
        return Lookup(status=DnsStatus.NXDOMAIN, error=f"not a domain name: {error}")
    active = resolver()
    # One budget for the NS question and the address questions after it.
    deadline = time.monotonic() + active.lifetime
    try:
        answer = active.resolve(qname, dns.rdatatype.NS, raise_on_no_answer=True)
    except dns.resolver.NXDOMAIN:
        return Lookup(status=DnsStatus.NXDOMAIN, error=f"{domain} does not exist")
    except dns.resolver.NoAnswer:
        return Lookup(status=DnsStatus.NO_ANSWER, error=f"{domain} publishes no NS records")
    except dns.resolver.NoNameservers as error:
        return Lookup(status=DnsStatus.NO_ANSWER, error=f"every resolver failed: {error}")
    except dns.exception.Timeout as error:
        return Lookup(status=DnsStatus.TIMEOUT, error=str(error))
    except dns.exception.DNSException as error:
        return Lookup(status=DnsStatus.NO_ANSWER, error=str(error))
    nameservers = sorted({normalize_host(record.to_text()) for record in answer})
    return Lookup(
        status=DnsStatus.OK,
        nameservers=nameservers,
        addresses={name: _addresses(active, name, deadline) for name in nameservers},
    )


def _addresses(active: dns.resolver.Resolver, host: str, deadline: float) -> list[str]:
    """The name server's addresses, as far as they come before the deadline."""
    found: list[str] = []
    for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            answer = active.resolve(host, rdtype, raise_on_no_answer=False, lifetime=remaining)
        except dns.exception.DNSException:
            continue
        found.extend(normalize_host(record.to_text()) for record in answer)
    return sorted(set(found))


def compare(lookup: Lookup, recorded: list[str]) -> str:
    """The check's status: the lookup's failure, or whether every recorded DNS
    server (by name or by address) is among the domain's name servers."""
    if lookup.status != DnsStatus.OK:
        return lookup.status
    recorded = [normalize_host(value) for value in recorded if value and value.strip()]
    if not recorded:
        return DnsStatus.MISMATCH
    known = set(lookup.nameservers)
    for addresses in lookup.addresses.values():
        known.update(addresses)
    return DnsStatus.OK if all(value in known for value in recorded) else DnsStatus.MISMATCH
