"""Demo registry: tiers, products and about 50 partners across countries, tiers,
statuses and channel managers, each with contacts and products. Deterministic (a
fixed seed), so every demo tenant looks the same; domains are under the reserved
`.example` top-level domain, so no real company is named or looked up."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

import phonenumbers
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify

from partners.models import Contact, ContactRole, Partner, PartnerStatus, StatusChange
from partners.services import (
    contact_create,
    partner_create,
    partner_transition,
    product_create,
    tier_create,
)
from prm.accounts.models import Role, User
from prm.accounts.services import user_create
from prm.tenancy.clock import tenant_zone

DEMO_PARTNER_REF = "northwind"
# The mark of the partners the demo created: the reason on each one's "created" audit
# record. The live activity goes only to them (demo_partners()), never to partners a
# user creates or imports later, whatever their ref.
DEMO_MARK = "demo registry"
# Every demo channel manager signs in with this password (the run command prints them).
MANAGER_PASSWORD = "Orchard-Manager-2026"  # noqa: S105 (a published demo login, not a secret)

TIERS = [
    (
        "platinum",
        "Platinum",
        40,
        "Strategic reseller and managed-service provider for enterprise accounts.",
        "Keep two certified engineers; forecast quarterly; meet the Platinum SLA.",
        "Best discount band, market-development funds, a dedicated channel manager, "
        "deal registration priority.",
    ),
    (
        "gold",
        "Gold",
        30,
        "Reseller and integrator for mid-market accounts.",
        "Keep one certified engineer; report sales monthly; meet the Gold SLA.",
        "Second discount band, co-marketing, deal registration.",
    ),
    (
        "silver",
        "Silver",
        20,
        "Reseller for small business accounts.",
        "Complete the sales training; report sales monthly.",
        "Standard discount, partner portal, lead sharing.",
    ),
    (
        "registered",
        "Registered",
        10,
        "Referral partner and affiliate.",
        "Follow the brand guidelines.",
        "Referral commission and marketing material.",
    ),
]

PRODUCTS = [
    ("edge-x1", "Edge Router X1"),
    ("edge-x5", "Edge Router X5"),
    ("fw-200", "Firewall FX200"),
    ("fw-900", "Firewall FX900"),
    ("sw-24", "Switch S24"),
    ("sw-48", "Switch S48 PoE"),
    ("ap-6", "Wi-Fi 6 Access Point A6"),
    ("cloud-1y", "Cloud Management, 1 year"),
    ("care-1y", "CarePlus Support, 1 year"),
    ("academy", "Certified Engineer Training"),
]

# (country, region code for phones, cities with their region and a postal code)
PLACES = [
    (
        "GB",
        [
            ("London", "England", "EC1A 1BB"),
            ("Manchester", "England", "M1 1AE"),
            ("Edinburgh", "Scotland", "EH1 1YZ"),
        ],
    ),
    (
        "US",
        [
            ("Austin", "TX", "73301"),
            ("Denver", "CO", "80202"),
            ("Boston", "MA", "02108"),
            ("Seattle", "WA", "98101"),
        ],
    ),
    (
        "DE",
        [
            ("Berlin", "Berlin", "10115"),
            ("München", "Bayern", "80331"),
            ("Hamburg", "Hamburg", "20095"),
        ],
    ),
    ("FR", [("Paris", "Île-de-France", "75001"), ("Lyon", "Auvergne-Rhône-Alpes", "69001")]),
    ("NL", [("Amsterdam", "Noord-Holland", "1012 AB"), ("Utrecht", "Utrecht", "3511 AA")]),
    ("SE", [("Stockholm", "Stockholm", "111 20"), ("Göteborg", "Västra Götaland", "411 01")]),
    ("ES", [("Madrid", "Madrid", "28001"), ("Barcelona", "Cataluña", "08001")]),
    ("IT", [("Milano", "Lombardia", "20121"), ("Torino", "Piemonte", "10121")]),
    ("CA", [("Toronto", "ON", "M5H 2N2"), ("Vancouver", "BC", "V6B 1A1")]),
    ("AU", [("Sydney", "NSW", "2000"), ("Melbourne", "VIC", "3000")]),
    ("JP", [("Tokyo", "Tokyo", "100-0001"), ("Osaka", "Osaka", "530-0001")]),
    ("SG", [("Singapore", "", "018956")]),
    ("BR", [("São Paulo", "SP", "01000-000")]),
    ("IN", [("Bengaluru", "Karnataka", "560001"), ("Pune", "Maharashtra", "411001")]),
    ("ZA", [("Cape Town", "Western Cape", "8001")]),
]

STEMS = [
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Adatum",
    "Litware",
    "Proseware",
    "Lucerne",
    "Coho",
    "Wingtip",
    "Blue Yonder",
    "Margie's",
    "Humongous",
    "Alpine",
    "Trey",
    "Woodgrove",
    "Fourth Coffee",
    "Graphic Design",
    "School of Fine Art",
    "VanArsdel",
    "Relecloud",
    "Munson's",
    "Bellows",
    "Datum",
    "Southridge",
]
SUFFIXES = [
    "Networks",
    "Systems",
    "Traders",
    "IT Solutions",
    "Integration",
    "Digital",
    "Technologies",
    "Secure",
]
STREETS = [
    "High Street",
    "Market Square",
    "Harbour Road",
    "Station Avenue",
    "Innovation Way",
    "Park Lane",
    "Mill Road",
]
FIRST_NAMES = [
    "Nancy",
    "Andrew",
    "Janet",
    "Margaret",
    "Steven",
    "Michael",
    "Robert",
    "Laura",
    "Anne",
    "Aiko",
    "Lars",
    "Sofia",
    "Mateo",
    "Priya",
    "Chen",
    "Amara",
    "Jonas",
    "Élise",
    "Giulia",
    "Kwame",
]
LAST_NAMES = [
    "Davolio",
    "Fuller",
    "Leverling",
    "Peacock",
    "Buchanan",
    "Suyama",
    "King",
    "Callahan",
    "Dodsworth",
    "Tanaka",
    "Berg",
    "Rossi",
    "García",
    "Shah",
    "Wei",
    "Okafor",
    "Müller",
    "Dubois",
]

EXTRA_MANAGERS = [
    ("priya.shah", "Priya Shah"),
    ("jonas.berg", "Jonas Berg"),
    ("lucia.romero", "Lucía Romero"),
]

STATUS_WEIGHTS = [
    (PartnerStatus.ACTIVE, 26),
    (PartnerStatus.AFFILIATE, 6),
    (PartnerStatus.ONBOARDING, 7),
    (PartnerStatus.PROSPECT, 5),
    (PartnerStatus.SUSPENDED, 3),
    (PartnerStatus.TERMINATED, 2),
]
PATH = {
    PartnerStatus.PROSPECT: [],
    PartnerStatus.ONBOARDING: [PartnerStatus.ONBOARDING],
    PartnerStatus.ACTIVE: [PartnerStatus.ONBOARDING, PartnerStatus.ACTIVE],
    PartnerStatus.AFFILIATE: [
        PartnerStatus.ONBOARDING,
        PartnerStatus.ACTIVE,
        PartnerStatus.AFFILIATE,
    ],
    PartnerStatus.SUSPENDED: [
        PartnerStatus.ONBOARDING,
        PartnerStatus.ACTIVE,
        PartnerStatus.SUSPENDED,
    ],
    PartnerStatus.TERMINATED: [
        PartnerStatus.ONBOARDING,
        PartnerStatus.ACTIVE,
        PartnerStatus.TERMINATED,
    ],
}


def _phone(rng: random.Random, country: str) -> str:
    example = phonenumbers.example_number(country)
    assert example is not None
    digits = str(example.national_number)
    for _ in range(50):
        candidate = digits[:-3] + f"{rng.randrange(1000):03d}"
        number = phonenumbers.parse(f"+{example.country_code}{candidate}")
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)


def extra_managers(domain: str) -> list[tuple[str, str]]:
    """(e-mail, full name) of the demo's channel managers besides the lead one."""
    return [(f"{local}@{domain}", name) for local, name in EXTRA_MANAGERS]


def _managers(lead_email: str, domain: str) -> list[User]:
    managers = [User.objects.get(email=lead_email)]
    for email, name in extra_managers(domain):
        user = User.objects.filter(email=email).first() or user_create(
            email=email, password=MANAGER_PASSWORD, role=Role.MANAGER, full_name=name
        )
        managers.append(user)
    return managers


def demo_partners() -> QuerySet[Partner]:
    """The partners the demo's registry created (by their mark), whatever became of them."""
    created = Partner.history.filter(history_type="+", history_change_reason=DEMO_MARK)
    return Partner.objects.filter(pk__in=created.values("id"))


def _office_hours(rng: random.Random, day: date) -> datetime:
    """A moment of `day`'s office hours (09:00 to 17:00) in the tenant's zone."""
    start = datetime.combine(day, time(9), tzinfo=tenant_zone())
    return start + timedelta(minutes=rng.randrange(8 * 60))


def _date_history(records: Any, since: int, when: datetime) -> int:
    """Date the audit records written after record `since` at `when` (the demo's
    story, not the seed's wall clock); returns the newest record's id."""
    records.filter(history_id__gt=since).update(history_date=when)
    return int(records.order_by("-history_id").values_list("history_id", flat=True).first() or 0)


def registry_seed(*, lead_manager_email: str, now: datetime | None = None) -> int:
    """Create the demo registry in the current tenant; returns the partner count.

    Each partner joined the registry on a day of the past year: its creation, first
    status and contacts are dated then, each later status step some weeks after, and
    its audit history says the same; nothing is dated after `now` (default: now)."""
    rng = random.Random(2026)
    now = (now or timezone.now()).astimezone(tenant_zone())
    tiers = {
        slug: tier_create(
            actor=None,
            slug=slug,
            name=name,
            rank=rank,
            roles=roles,
            responsibilities=duties,
            benefits=benefits,
        )
        for slug, name, rank, roles, duties, benefits in TIERS
    }
    products = [product_create(actor=None, sku=sku, name=name) for sku, name in PRODUCTS]
    managers = _managers(lead_manager_email, lead_manager_email.split("@")[1])
    names = [f"{stem} {suffix}" for stem in STEMS for suffix in SUFFIXES]
    rng.shuffle(names)
    names = ["Northwind Traders", *[name for name in names if name != "Northwind Traders"]][:50]
    statuses = [status for status, weight in STATUS_WEIGHTS for _ in range(weight)]
    rng.shuffle(statuses)
    for index, name in enumerate(names):
        country, cities = PLACES[index % len(PLACES)] if index else PLACES[0]
        city, region, postal_code = rng.choice(cities)
        ref = DEMO_PARTNER_REF if index == 0 else slugify(name)[:60]
        domain = f"{ref}.example"
        target = PartnerStatus.ACTIVE if index == 0 else statuses[index % len(statuses)]
        tier_slug = rng.choices(["platinum", "gold", "silver", "registered"], weights=[1, 3, 4, 2])[
            0
        ]
        if target == PartnerStatus.AFFILIATE:
            tier_slug = "registered"
        contact_first, contact_last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        manager = managers[0] if index % 3 == 0 else rng.choice(managers)
        partner = partner_create(
            actor=None,
            ref=ref,
            name=name,
            domain=domain,
            street=f"{rng.randint(1, 240)} {rng.choice(STREETS)}",
            city=city,
            region=region,
            postal_code=postal_code,
            country=country,
            phone=_phone(rng, country),
            contact_name=f"{contact_first} {contact_last}",
            contact_email=f"{slugify(contact_first)}.{slugify(contact_last)}@{domain}",
            contact_phone=_phone(rng, country),
            primary_dns=f"ns1.{domain}" if rng.random() < 0.85 else "",
            secondary_dns=f"ns2.{domain}" if rng.random() < 0.7 else "",
            products=rng.sample(products, rng.randint(2, 5)),
            channel_manager=manager,
            tier=tiers[tier_slug],
            tags=rng.sample(
                ["smb", "enterprise", "public-sector", "healthcare", "retail", "msp", "education"],
                2,
            ),
        )
        # Walk the lifecycle, with the moves spread over the past year: the partner
        # joined the registry on `started`, its first status with it.
        started = _office_hours(rng, (now - timedelta(days=rng.randint(120, 400))).date())
        step_days = rng.randint(10, 40)
        history = Partner.history.filter(id=partner.pk)
        history.filter(history_type="+").update(history_change_reason=DEMO_MARK)
        last_record = _date_history(history, 0, started)
        StatusChange.objects.filter(partner=partner).update(changed_at=started)
        changed = started
        for step, status in enumerate(PATH[target], start=1):
            partner_transition(
                partner=partner, to_status=status, actor=manager, reason="demo history"
            )
            changed = min(
                now, _office_hours(rng, started.date() + timedelta(days=step * step_days))
            )
            StatusChange.objects.filter(partner=partner, to_status=status).update(
                changed_at=changed
            )
            last_record = _date_history(history, last_record, changed)
        Partner.objects.filter(pk=partner.pk).update(created_at=started, updated_at=changed)
        roles = [ContactRole.PRIMARY, ContactRole.SALES, ContactRole.TECHNICAL, ContactRole.BILLING]
        for role in roles[: rng.randint(1, 3)]:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            contact = contact_create(
                partner=partner,
                actor=None,
                name=f"{first} {last}",
                role=role,
                title={
                    "primary": "Managing Director",
                    "sales": "Head of Sales",
                    "technical": "Lead Engineer",
                    "billing": "Finance Manager",
                }[role],
                email=f"{slugify(first)}.{slugify(last)}@{domain}",
                phone=_phone(rng, country),
            )
            # The contacts came with the partner.
            Contact.objects.filter(pk=contact.pk).update(created_at=started, updated_at=started)
            Contact.history.filter(id=contact.pk).update(history_date=started)
    return len(names)
