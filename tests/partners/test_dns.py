"""The partner DNS check against a real DNS server on loopback (tests/dns_server.py):
every outcome through the service and through POST /api/v1/partners/{ref}/dns-check/,
the "detect" action, bounded time with a dead resolver, and the nightly re-check on a
real worker."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from partners import selectors, services
from partners.models import Partner
from partners.tasks import dns_check
from prm.accounts.models import Role, User
from prm.tenancy.tasks import dispatch
from tests.conftest import TenantClient
from tests.dns_server import (
    IDN_DOMAIN,
    NO_NS_DOMAIN,
    NX_DOMAIN,
    OK_ADDRESSES,
    OK_DOMAIN,
    OK_NAMESERVERS,
    SILENT_DOMAIN,
    SLOW_GLUE_DOMAIN,
    SLOW_GLUE_NAMESERVERS,
    SilentServer,
    ZoneServer,
    query,
)
from tests.factories import PartnerFactory, UserFactory
from tests.waiting import wait_for

NS1, NS2 = OK_NAMESERVERS
# What the check may take beyond the lifetime: the bookkeeping around the lookup, on a
# busy machine.
SLACK_SECONDS = 1.0


@pytest.fixture
def alpha(db: None, in_tenant: Callable[..., Any], tenant_a: Any) -> Iterator[Any]:
    """The whole test runs in alpha's schema."""
    with in_tenant(tenant_a):
        yield tenant_a


@pytest.fixture
def manager(alpha: Any) -> User:
    return UserFactory.create(role=Role.MANAGER)


def test_the_loopback_server_answers_like_a_real_one(dns_server: ZoneServer) -> None:
    # when the test server is asked directly, then it answers as its zone says, so the
    # tests below fail because of the code under test, not the server
    ok = query(dns_server, OK_DOMAIN)
    assert sorted(str(record.rdata).rstrip(".") for record in ok.rr) == sorted(OK_NAMESERVERS)
    assert query(dns_server, NX_DOMAIN).header.rcode == 3  # NXDOMAIN
    no_ns = query(dns_server, NO_NS_DOMAIN)
    assert (no_ns.header.rcode, no_ns.rr) == (0, [])


# --- the check, through the service -------------------------------------------------------

# (domain, recorded primary DNS, recorded secondary DNS, status, name servers found)
CASES = {
    "ok by name": (OK_DOMAIN, NS1, NS2, "ok", [NS1, NS2]),
    "ok by address": (
        OK_DOMAIN,
        OK_ADDRESSES[NS1][1],
        OK_ADDRESSES[NS2][0],
        "ok",
        [NS1, NS2],
    ),
    "ok with the primary only": (OK_DOMAIN, NS2, "", "ok", [NS1, NS2]),
    "ok for a Unicode domain": ("Bücher-Händler.test", NS1, "", "ok", [NS1]),
    "mismatch": (OK_DOMAIN, NS1, "ns2.elsewhere.test", "mismatch", [NS1, NS2]),
    "mismatch by address": (OK_DOMAIN, "192.0.2.99", "", "mismatch", [NS1, NS2]),
    "mismatch when nothing is recorded": (OK_DOMAIN, "", "", "mismatch", [NS1, NS2]),
    "nxdomain": (NX_DOMAIN, NS1, NS2, "nxdomain", []),
    "no answer": (NO_NS_DOMAIN, NS1, "", "no_answer", []),
    "timeout": (SILENT_DOMAIN, NS1, "", "timeout", []),
}


@pytest.mark.parametrize(
    ("domain", "primary", "secondary", "expected", "found"), CASES.values(), ids=CASES.keys()
)
def test_check_stores_the_status_the_domains_name_servers_give(
    manager: User,
    loopback_dns: ZoneServer,
    domain: str,
    primary: str,
    secondary: str,
    expected: str,
    found: list[str],
) -> None:
    # given a partner with its domain and recorded DNS servers
    partner = PartnerFactory.create(
        channel_manager=manager, domain=domain, primary_dns=primary, secondary_dns=secondary
    )
    history_before = partner.history.count()

    # when its name servers are checked
    started = timezone.now()
    services.partner_dns_check(partner=partner)

    # then the outcome and its time are stored
    stored = Partner.objects.get(pk=partner.pk)
    assert stored.dns_status == expected
    assert stored.dns_nameservers == found
    assert stored.dns_checked_at is not None
    assert started <= stored.dns_checked_at <= timezone.now()
    assert bool(stored.dns_error) == (expected in ("nxdomain", "no_answer", "timeout"))
    # and the DNS server was really asked for the domain's NS records
    assert "NS" in loopback_dns.asked(stored.domain)
    # and a check is no edit of the partner: nothing is added to its audit history
    assert stored.history.count() == history_before


def test_recheck_asks_again_and_follows_the_recorded_dns(
    manager: User, loopback_dns: ZoneServer
) -> None:
    # given a partner whose recorded DNS does not match
    partner = PartnerFactory.create(
        channel_manager=manager, domain=OK_DOMAIN, primary_dns="ns.old.test"
    )
    services.partner_dns_check(partner=partner)
    first = Partner.objects.get(pk=partner.pk)
    assert first.dns_status == "mismatch"
    questions = loopback_dns.asked(OK_DOMAIN).count("NS")

    # when its DNS is corrected and it is checked again
    services.partner_update(partner=partner, actor=manager, primary_dns=NS1)
    services.partner_dns_check(partner=partner)

    # then the server was asked again (nothing cached) and the status is ok now
    assert loopback_dns.asked(OK_DOMAIN).count("NS") == questions + 1
    second = Partner.objects.get(pk=partner.pk)
    assert second.dns_status == "ok"
    assert second.dns_error == ""
    assert first.dns_checked_at is not None
    assert second.dns_checked_at is not None
    assert second.dns_checked_at > first.dns_checked_at


def test_partner_without_a_domain_cannot_be_checked(
    manager: User, loopback_dns: ZoneServer
) -> None:
    # given a partner with no domain
    partner = PartnerFactory.create(channel_manager=manager, domain="")

    # when it is checked, then the domain is named as missing
    with pytest.raises(ValidationError) as refused:
        services.partner_dns_check(partner=partner)
    assert refused.value.message_dict == {
        "domain": ["The partner has no domain to check; add one first."]
    }
    assert Partner.objects.get(pk=partner.pk).dns_checked_at is None


# --- bounded in time -----------------------------------------------------------------------


@pytest.fixture
def dead_resolver(settings: Any) -> Iterator[SilentServer]:
    """The only resolver configured is a UDP socket that never answers."""
    server = SilentServer()
    settings.PRM_DNS_NAMESERVERS = [server.address]
    settings.PRM_DNS_LIFETIME = 1.0
    try:
        yield server
    finally:
        server.close()


def timed(work: Callable[[], Any]) -> float:
    started = time.monotonic()
    work()
    return time.monotonic() - started


def test_dead_resolver_gives_timeout_within_the_lifetime(
    manager: User, dead_resolver: SilentServer
) -> None:
    # given a partner, and a resolver that never answers
    partner = PartnerFactory.create(channel_manager=manager, domain=OK_DOMAIN, primary_dns=NS1)

    # when its name servers are checked
    seconds = timed(lambda: services.partner_dns_check(partner=partner))

    # then the check gives up after the lifetime (not before, not long after) as a timeout
    assert settings.PRM_DNS_LIFETIME * 0.9 <= seconds <= settings.PRM_DNS_LIFETIME + SLACK_SECONDS
    stored = Partner.objects.get(pk=partner.pk)
    assert (stored.dns_status, stored.dns_nameservers) == ("timeout", [])
    assert "lifetime expired" in stored.dns_error


def test_name_servers_whose_addresses_never_come_still_end_within_the_lifetime(
    manager: User, loopback_dns: ZoneServer
) -> None:
    # given a domain whose two name servers' own addresses are never answered (four
    # questions after the NS one, each of which could take a whole lifetime)
    partner = PartnerFactory.create(
        channel_manager=manager, domain=SLOW_GLUE_DOMAIN, primary_dns=SLOW_GLUE_NAMESERVERS[1]
    )

    # when it is checked
    seconds = timed(lambda: services.partner_dns_check(partner=partner))

    # then the whole check, address questions included, keeps to the one lifetime
    assert seconds <= settings.PRM_DNS_LIFETIME + SLACK_SECONDS
    assert "A" in loopback_dns.asked(SLOW_GLUE_NAMESERVERS[0])
    # and the name server, recorded by name, is still recognised
    stored = Partner.objects.get(pk=partner.pk)
    assert (stored.dns_status, stored.dns_nameservers) == ("ok", list(SLOW_GLUE_NAMESERVERS))


# --- detect ----------------------------------------------------------------------------------


def test_detect_fills_empty_dns_fields_from_the_lookup(
    manager: User, loopback_dns: ZoneServer
) -> None:
    # given a partner with a domain and no recorded DNS
    partner = PartnerFactory.create(channel_manager=manager, domain=OK_DOMAIN)

    # when the manager asks to detect its DNS
    services.partner_dns_detect(partner=partner, actor=manager)

    # then both fields hold the domain's name servers, and the check says ok
    stored = Partner.objects.get(pk=partner.pk)
    assert (stored.primary_dns, stored.secondary_dns) == (NS1, NS2)
    assert stored.dns_status == "ok"
    # and the filling is an audited change by the manager
    newest = selectors.audit_entries(partner=partner)[0]
    assert newest["who"] == manager
    assert {change["field"]: (change["old"], change["new"]) for change in newest["changes"]} == {
        "primary_dns": ("", NS1),
        "secondary_dns": ("", NS2),
    }


def test_detect_keeps_what_is_recorded_and_fills_only_the_gap(
    manager: User, loopback_dns: ZoneServer
) -> None:
    # given a partner whose primary DNS is the domain's second name server
    partner = PartnerFactory.create(channel_manager=manager, domain=OK_DOMAIN, primary_dns=NS2)

    # when its DNS is detected
    services.partner_dns_detect(partner=partner, actor=manager)

    # then the primary stays and the secondary gets the other name server
    stored = Partner.objects.get(pk=partner.pk)
    assert (stored.primary_dns, stored.secondary_dns, stored.dns_status) == (NS2, NS1, "ok")


def test_detect_fills_nothing_when_the_domain_has_no_name_servers(
    manager: User, loopback_dns: ZoneServer
) -> None:
    # given a partner whose domain does not exist
    partner = PartnerFactory.create(channel_manager=manager, domain=NX_DOMAIN)
    history_before = partner.history.count()

    # when its DNS is detected
    services.partner_dns_detect(partner=partner, actor=manager)

    # then nothing was filled or audited, and the check says why
    stored = Partner.objects.get(pk=partner.pk)
    assert (stored.primary_dns, stored.secondary_dns, stored.dns_status) == ("", "", "nxdomain")
    assert stored.history.count() == history_before


# --- the check, through the API --------------------------------------------------------------

API_CASES = {
    "ok": (OK_DOMAIN, NS1, NS2, [NS1, NS2]),
    "mismatch": (OK_DOMAIN, NS1, "ns2.elsewhere.test", [NS1, NS2]),
    "nxdomain": (NX_DOMAIN, NS1, "", []),
    "no_answer": (NO_NS_DOMAIN, NS1, "", []),
    "timeout": (SILENT_DOMAIN, NS1, "", []),
}


def dns_check_url(ref: str) -> str:
    return f"/api/v1/partners/{ref}/dns-check/"


@pytest.mark.parametrize(
    ("expected", "domain", "primary", "secondary", "found"),
    [(status, *case) for status, case in API_CASES.items()],
    ids=API_CASES.keys(),
)
def test_dns_check_endpoint_answers_each_status(
    alpha_api: TenantClient,
    partner_in: Callable[..., Any],
    tenant_a: Any,
    loopback_dns: ZoneServer,
    expected: str,
    domain: str,
    primary: str,
    secondary: str,
    found: list[str],
) -> None:
    # given a partner of alpha
    ref = f"dns-{expected.replace('_', '-')}"
    partner_in(tenant_a, ref=ref, domain=domain, primary_dns=primary, secondary_dns=secondary)

    # when an integrator asks for a DNS check
    started = timezone.now()
    response = alpha_api.post(dns_check_url(ref))

    # then the answer has the status, the name servers found and the time of the check
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == expected
    assert body["nameservers"] == found
    checked_at = datetime.fromisoformat(body["checked_at"].replace("Z", "+00:00"))
    assert started - timedelta(seconds=1) <= checked_at <= timezone.now()
    # and the partner shows the same outcome afterwards
    shown = alpha_api.get(f"/api/v1/partners/{ref}/").json()["dns"]
    assert (shown["status"], shown["nameservers"]) == (expected, found)


def test_dns_check_endpoint_refuses_callers_that_may_not_write(
    api_client: Callable[..., TenantClient],
    alpha_partner: TenantClient,
    client_a: TenantClient,
    partner_in: Callable[..., Any],
    tenant_a: Any,
    loopback_dns: ZoneServer,
) -> None:
    # given a partner, a read-only key, a partner user's session and a stranger
    partner_in(tenant_a, ref="acme", domain=OK_DOMAIN, primary_dns=NS1)
    read_only = api_client(tenant_a, scopes=["read"])
    questions = len(loopback_dns.asked(OK_DOMAIN))

    # when each asks for a DNS check, then each is refused, and nothing was checked
    assert read_only.post(dns_check_url("acme")).status_code == 403
    assert alpha_partner.post(dns_check_url("acme")).status_code == 403
    assert client_a.post(dns_check_url("acme")).status_code == 401
    assert len(loopback_dns.asked(OK_DOMAIN)) == questions
    assert read_only.get("/api/v1/partners/acme/").json()["dns"]["checked_at"] is None


def test_dns_check_endpoint_names_what_is_missing_or_unknown(
    alpha_api: TenantClient,
    partner_in: Callable[..., Any],
    tenant_a: Any,
    loopback_dns: ZoneServer,
) -> None:
    # given a partner without a domain
    partner_in(tenant_a, ref="no-domain", domain="")

    # when its DNS is checked, then the domain is named
    response = alpha_api.post(dns_check_url("no-domain"))
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "domain": ["The partner has no domain to check; add one first."]
    }

    # when an unknown partner's DNS is checked, then it is not found
    response = alpha_api.post(dns_check_url("nobody"))
    assert response.status_code == 404
    assert response.json()["status"] == 404


# --- the nightly re-check, on a real worker ---------------------------------------------------


@pytest.mark.worker
def test_nightly_recheck_queues_one_check_per_partner_with_a_domain(
    committed: Callable[[Callable[[], Any]], None],
    in_tenant: Callable[..., Any],
    tenant_a: Any,
    dns_server: ZoneServer,
) -> None:
    # given committed partners of alpha (the worker must see them): three with a
    # domain, one without, and one terminated
    token = uuid.uuid4().hex[:8]
    refs = {name: f"night-{name}-{token}" for name in ("ok", "nx", "no-ns", "bare", "gone")}

    def remove() -> None:
        with in_tenant(tenant_a):
            Partner.objects.filter(ref__in=refs.values()).delete()
            Partner.history.filter(ref__in=refs.values()).delete()
            User.objects.filter(email=f"night-{token}@example.com").delete()

    committed(remove)
    with in_tenant(tenant_a):
        manager = UserFactory.create(role=Role.MANAGER, email=f"night-{token}@example.com")
        partners = {
            "ok": PartnerFactory.create(
                ref=refs["ok"], channel_manager=manager, domain=OK_DOMAIN, primary_dns=NS1
            ),
            "nx": PartnerFactory.create(
                ref=refs["nx"], channel_manager=manager, domain=NX_DOMAIN, primary_dns=NS1
            ),
            "no-ns": PartnerFactory.create(
                ref=refs["no-ns"], channel_manager=manager, domain=NO_NS_DOMAIN
            ),
            "bare": PartnerFactory.create(ref=refs["bare"], channel_manager=manager, domain=""),
            "gone": PartnerFactory.create(
                ref=refs["gone"], channel_manager=manager, domain=IDN_DOMAIN, status="terminated"
            ),
        }
    domains = {"ok": OK_DOMAIN, "nx": NX_DOMAIN, "no-ns": NO_NS_DOMAIN, "gone": IDN_DOMAIN}
    asked_before = {name: dns_server.asked(domain).count("NS") for name, domain in domains.items()}

    def outcome() -> dict[str, tuple[str, bool]]:
        with in_tenant(tenant_a):
            return {
                name: (row.dns_status, row.dns_checked_at is not None)
                for name, row in (
                    (name, Partner.objects.get(pk=partner.pk)) for name, partner in partners.items()
                )
            }

    # when beat's nightly entry fires, as beat sends it: the dispatcher, from public
    entry = settings.CELERY_BEAT_SCHEDULE["partners-dns-recheck"]
    assert entry["task"] == dispatch.name
    dispatch.delay(*entry["args"])
    wait_for(lambda: all(outcome()[name][1] for name in ("ok", "nx", "no-ns")))
    # (a check queued now runs after everything the re-check queued: one solo worker)
    with in_tenant(tenant_a):
        dns_check.delay(partners["ok"].pk)
    wait_for(lambda: dns_server.asked(OK_DOMAIN).count("NS") >= asked_before["ok"] + 2)

    # then every partner with a domain was checked once, through the loopback server
    assert outcome() == {
        "ok": ("ok", True),
        "nx": ("nxdomain", True),
        "no-ns": ("no_answer", True),
        "bare": ("", False),
        "gone": ("", False),
    }
    asked_now = {name: dns_server.asked(domain).count("NS") for name, domain in domains.items()}
    assert {name: asked_now[name] - asked_before[name] for name in domains} == {
        "ok": 2,  # the re-check's and the sentinel's
        "nx": 1,
        "no-ns": 1,
        "gone": 0,
    }
