"""A real authoritative DNS server on loopback for the tests (dnslib), and a silent one.

`ZoneServer` answers UDP queries on 127.0.0.1 and a free port from a small zone, so
the partner DNS check is tested against real DNS packets, every outcome on purpose:

| name                     | answer                                  | check gives   |
| ------------------------ | --------------------------------------- | ------------- |
| ``OK_DOMAIN``            | NS ns1/ns2 (and their A/AAAA records)    | ok / mismatch |
| ``IDN_DOMAIN``           | NS ns1 of the same zone                  | ok            |
| ``NX_DOMAIN``            | NXDOMAIN (so is any name not in the zone) | nxdomain      |
| ``NO_NS_DOMAIN``         | NOERROR with an empty answer for NS      | no_answer     |
| ``SILENT_DOMAIN``        | never answered                           | timeout       |
| ``SLOW_GLUE_DOMAIN``     | NS answered, its servers' addresses never | by name only  |

`SilentServer` is a UDP socket that reads nothing: a resolver that is down.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from typing import Any

from dnslib import QTYPE, RCODE, RR, DNSError, DNSRecord
from dnslib.server import BaseResolver, DNSLogger, DNSServer

OK_DOMAIN = "registry-ok.test"
OK_NAMESERVERS = ("ns1.registry-ok.test", "ns2.registry-ok.test")
OK_ADDRESSES = {
    "ns1.registry-ok.test": ("192.0.2.53", "2001:db8::53"),
    "ns2.registry-ok.test": ("198.51.100.53",),
}
# "Bücher-Händler.test" in its ASCII (IDNA) form, served by the first name server.
IDN_DOMAIN = "xn--bcher-hndler-mcb34a.test"
NX_DOMAIN = "no-such-partner.test"
NO_NS_DOMAIN = "no-ns.test"
SILENT_DOMAIN = "silent.test"
SLOW_GLUE_DOMAIN = "slow-glue.test"
SLOW_GLUE_NAMESERVERS = ("ns1.slow-glue.test", "ns2.slow-glue.test")

ZONE = f"""
{OK_DOMAIN}.            60 IN NS   {OK_NAMESERVERS[0]}.
{OK_DOMAIN}.            60 IN NS   {OK_NAMESERVERS[1]}.
{OK_DOMAIN}.            60 IN A    192.0.2.80
{OK_NAMESERVERS[0]}.    60 IN A    {OK_ADDRESSES[OK_NAMESERVERS[0]][0]}
{OK_NAMESERVERS[0]}.    60 IN AAAA {OK_ADDRESSES[OK_NAMESERVERS[0]][1]}
{OK_NAMESERVERS[1]}.    60 IN A    {OK_ADDRESSES[OK_NAMESERVERS[1]][0]}
{IDN_DOMAIN}.           60 IN NS   {OK_NAMESERVERS[0]}.
{NO_NS_DOMAIN}.         60 IN A    192.0.2.81
{SLOW_GLUE_DOMAIN}.     60 IN NS   {SLOW_GLUE_NAMESERVERS[0]}.
{SLOW_GLUE_DOMAIN}.     60 IN NS   {SLOW_GLUE_NAMESERVERS[1]}.
{SLOW_GLUE_NAMESERVERS[0]}. 60 IN A 192.0.2.82
{SLOW_GLUE_NAMESERVERS[1]}. 60 IN A 192.0.2.83
"""
# Queries for these names are dropped: the client hears nothing, as from a dead server.
SILENT_NAMES = frozenset({SILENT_DOMAIN, *SLOW_GLUE_NAMESERVERS})


def _name(value: Any) -> str:
    return str(value).lower().rstrip(".")


class ZoneResolver(BaseResolver):
    """Answers from ZONE like an authoritative server; remembers every question."""

    def __init__(self, zone: str) -> None:
        self.records: list[Any] = RR.fromZone(zone)
        self.names = {_name(record.rname) for record in self.records}
        self.questions: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def resolve(self, request: Any, handler: Any) -> Any:
        qname, qtype = _name(request.q.qname), QTYPE[request.q.qtype]
        with self._lock:
            self.questions.append((qname, qtype))
        if qname in SILENT_NAMES:
            # The handler catches DNSError and sends nothing back.
            raise DNSError(f"{qname} is never answered")
        reply = request.reply()
        if qname not in self.names:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for record in self.records:
            if _name(record.rname) == qname and QTYPE[record.rtype] == qtype:
                reply.add_answer(record)
        return reply


@dataclass
class ZoneServer:
    """The loopback DNS server; `address` is what PRM_DNS_NAMESERVERS takes."""

    host: str = "127.0.0.1"
    resolver: ZoneResolver = field(default_factory=lambda: ZoneResolver(ZONE))
    server: Any = None

    def start(self) -> ZoneServer:
        # Port 0: the system picks a free port. A logger with every hook off: quiet.
        quiet = DNSLogger(log="-request,-reply,-truncated,-error", prefix=False)
        self.server = DNSServer(self.resolver, address=self.host, port=0, logger=quiet)
        self.server.start_thread()
        return self

    def stop(self) -> None:
        self.server.stop()
        self.server.server.server_close()

    @property
    def port(self) -> int:
        return int(self.server.server.server_address[1])

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def asked(self, name: str) -> list[str]:
        """The record types asked for `name` so far."""
        return [qtype for qname, qtype in list(self.resolver.questions) if qname == name]


class SilentServer:
    """A bound UDP socket nobody reads: queries to it are never answered."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind((host, 0))
        self.host = host

    @property
    def address(self) -> str:
        return f"{self.host}:{self.socket.getsockname()[1]}"

    def close(self) -> None:
        self.socket.close()


def query(server: ZoneServer, name: str, qtype: str = "NS") -> DNSRecord:
    """Ask the server directly (for checking the server itself)."""
    packet = DNSRecord.question(name, qtype).send(server.host, server.port, timeout=2)
    return DNSRecord.parse(packet)
