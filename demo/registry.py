"""Demo registry: tiers, products and about 50 partners across countries, tiers,
statuses and channel managers, each with contacts and products. Deterministic (a
fixed seed), so every demo tenant looks the same; domains are under the reserved
`.example` top-level domain, so no real company is named or looked up."""

from __future__ import annotations

import random
from datetime import timedelta

import phonenumbers
from django.utils import timezone
from django.utils.text import slugify

from partners.models import ContactRole, PartnerStatus, StatusChange
from partners.services import (
    contact_create,
    partner_create,
    partner_transition,
    product_create,
    tier_create,
)
from prm.accounts.models import Role, User
from prm.accounts.services import user_create

DEMO_PARTNER_REF = "northwind"

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


def _managers(lead_email: str, domain: str) -> list[User]:
    managers = [User.objects.get(email=lead_email)]
    for local, name in EXTRA_MANAGERS:
        email = f"{local}@{domain}"
        user = User.objects.filter(email=email).first() or user_create(
            email=email, password=None, role=Role.MANAGER, full_name=name
        )
        managers.append(user)
    return managers


def registry_seed(*, lead_manager_email: str) -> int:
    """Create the demo registry in the current tenant; returns the partner count."""
    rng = random.Random(2026)
    now = timezone.now()
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
        # Walk the lifecycle, with the moves spread over the past year.
        started = now - timedelta(days=rng.randint(120, 400))
        step_days = rng.randint(10, 40)
        StatusChange.objects.filter(partner=partner).update(changed_at=started)
        for step, status in enumerate(PATH[target], start=1):
            partner_transition(
                partner=partner, to_status=status, actor=manager, reason="demo history"
            )
            StatusChange.objects.filter(partner=partner, to_status=status).update(
                changed_at=min(now, started + timedelta(days=step * step_days))
            )
        roles = [ContactRole.PRIMARY, ContactRole.SALES, ContactRole.TECHNICAL, ContactRole.BILLING]
        for role in roles[: rng.randint(1, 3)]:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            contact_create(
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
    return len(names)
