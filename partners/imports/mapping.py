"""Which partner field each column of a file goes to: the suggestion people start
from, the check of what they confirm, and refs made from names.

A file's headers are matched against the partner field spec (partners.fields): the
field's name ("contact_email"), its label ("Contact e-mail") and the well-known
names other tools give it (SYNONYMS: "Company Name", "Website", "Telephone"...),
compared in a normal form (lower case, words split at spaces, - and _), then, for
headers with no exact match, the closest of those names when it is close enough to
be a typo ("Countyr", "Adress"). Each field is suggested for one column at most: the
best match, the leftmost of equals. A person confirms or changes every column (a
field, or left out) before any row is checked.

A file without a ref column gets refs made from the partners' names (`ref_from_name`:
"Acme Networks Ltd" -> "acme-networks-ltd"), as people would type them; a name that
occurs twice in the file gets -2, -3 on the later rows. The same file gives the same
refs again, so importing it twice updates (or, in create-only mode, reports) the
partners of the first time instead of duplicating them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.text import slugify

from partners.fields import BY_NAME, FIELDS

IGNORED = ""
# A fuzzy match must be at least this close (difflib's ratio) to be suggested.
CLOSE_ENOUGH = 0.85
REF_MAX_CHARS = 64

# The names other tools (CRMs, spreadsheets, exports) give the partner's fields.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "ref": (
        "reference",
        "partner ref",
        "partner reference",
        "partner id",
        "partner code",
        "account id",
        "account number",
        "customer id",
        "external id",
        "code",
        "id",
        "key",
    ),
    "name": (
        "company",
        "company name",
        "business",
        "account name",
        "account",
        "partner",
        "partner name",
        "organisation",
        "organization",
        "organisation name",
        "organization name",
        "legal name",
    ),
    "domain": (
        "website",
        "web site",
        "website url",
        "url",
        "web",
        "site",
        "homepage",
        "home page",
        "domain name",
        "web address",
    ),
    "phone": (
        "telephone",
        "tel",
        "phone number",
        "telephone number",
        "main phone",
        "company phone",
        "office phone",
        "business phone",
    ),
    "contact_name": (
        "contact",
        "contact person",
        "primary contact",
        "main contact",
        "contact full name",
    ),
    "contact_email": (
        "e-mail",
        "email",
        "email address",
        "e-mail address",
        "mail",
        "contact email address",
        "primary email",
    ),
    "contact_phone": (
        "contact telephone",
        "contact phone number",
        "mobile",
        "mobile phone",
        "cell",
        "cell phone",
    ),
    "street": ("address", "street address", "address line 1", "address 1", "billing street"),
    "city": ("town", "locality", "billing city"),
    "region": ("state", "county", "province", "state province", "billing state"),
    "postal_code": ("zip", "zip code", "postcode", "post code", "postal", "billing zip"),
    "country": ("country code", "nation", "billing country"),
    "primary_dns": ("dns 1", "dns1", "name server 1", "nameserver 1", "ns1"),
    "secondary_dns": ("dns 2", "dns2", "name server 2", "nameserver 2", "ns2"),
    "products": ("product", "skus", "product skus", "product sku"),
    "sla": ("sla policy", "service level", "service level agreement"),
    "channel_manager": (
        "manager",
        "account manager",
        "partner manager",
        "channel manager email",
        "owner",
        "account owner",
    ),
    "tier": ("level", "partner tier", "partner level"),
    "status": ("partner status", "stage", "lifecycle stage"),
    "tags": ("tag", "labels", "keywords", "categories"),
    "notes": ("note", "comments", "comment", "remarks", "description"),
}


def normal(text: str) -> str:
    """A header in the form matches compare: lower case, words split at spaces,
    hyphens, underscores, dots and slashes."""
    return " ".join(re.split(r"[\s\-_./]+", text.strip().lower())).strip()


def _names() -> dict[str, str]:
    """Every name a header may match (normal form) -> its field."""
    names: dict[str, str] = {}
    for spec in FIELDS:
        for name in (spec.name, spec.label, *SYNONYMS.get(spec.name, ())):
            names.setdefault(normal(name), spec.name)
    return names


NAMES = _names()


def exact_mapping(headers: Sequence[str]) -> list[str] | None:
    """The mapping of a file whose headers are all the import's own names (the
    template's and the export's: ref, name, contact_email...), each once, with ref and
    name among them; None for any other file, which a person maps."""
    fields = [normal(header).replace(" ", "_") for header in headers]
    if (
        all(name in BY_NAME for name in fields)
        and len(set(fields)) == len(fields)
        and {"ref", "name"} <= set(fields)
    ):
        return fields
    return None


@dataclass(frozen=True)
class Suggestion:
    field: str  # IGNORED when nothing fits
    exact: bool  # the header is one of the field's names, not only close to one


def suggest_mapping(headers: Sequence[str]) -> list[Suggestion]:
    """A field for each header (IGNORED when none fits), each field at most once."""
    scored: list[tuple[float, int, str]] = []
    for index, header in enumerate(headers):
        key = normal(header)
        if not key:
            continue
        if key in NAMES:
            scored.append((1.0, index, NAMES[key]))
            continue
        best = max(
            ((difflib.SequenceMatcher(None, key, name).ratio(), name) for name in NAMES),
            default=(0.0, ""),
        )
        if best[0] >= CLOSE_ENOUGH:
            scored.append((best[0], index, NAMES[best[1]]))
    chosen: dict[int, Suggestion] = {}
    taken: set[str] = set()
    for score, index, field in sorted(scored, key=lambda item: (-item[0], item[1])):
        if field not in taken:
            taken.add(field)
            chosen[index] = Suggestion(field, exact=score == 1.0)
    return [chosen.get(index, Suggestion(IGNORED, exact=False)) for index in range(len(headers))]


def check_mapping(
    headers: Sequence[str], mapping: Sequence[str], *, updating: bool = False
) -> list[str]:
    """The mapping as given, or ValidationError saying every problem with it: a
    column mapped to no field we know, a field mapped from two columns, the name not
    mapped (the ref may be left out: refs are then made from the names). A file that
    updates partners may name them by ref alone (new refs then need a name)."""
    if len(mapping) != len(headers):
        raise ValidationError("Choose a field (or “Leave out”) for every column of the file.")
    problems: list[str] = []
    unknown = [field for field in mapping if field != IGNORED and field not in BY_NAME]
    if unknown:
        problems.append(f"There is no partner field {', '.join(sorted(set(unknown)))}.")
    for spec in FIELDS:
        columns = [
            f"“{column_title(headers, index)}”"
            for index, field in enumerate(mapping)
            if field == spec.name
        ]
        if len(columns) > 1:
            problems.append(
                f"{spec.label} is chosen for {len(columns)} columns ({', '.join(columns)}); "
                "choose it for one and leave the others out."
            )
    if "name" not in mapping and not (updating and "ref" in mapping):
        problems.append(
            f"Choose the column that holds the {BY_NAME['name'].label.lower()}: every partner "
            "needs one (and refs are made from it when no column holds them)."
        )
    if problems:
        raise ValidationError(problems)
    return list(mapping)


def column_title(headers: Sequence[str], index: int) -> str:
    return headers[index] or f"Column {index + 1} (no name)"


def ref_from_name(name: str) -> str:
    """A ref people would type for `name`: lower-case ASCII words joined by -."""
    return slugify(name)[:REF_MAX_CHARS].strip("-_")


def derived_ref(name: str, seen: dict[str, int]) -> str:
    """The ref made from `name`, with -2, -3... for a name `seen` before in the file
    (`seen` counts the refs made so far and is updated)."""
    base = ref_from_name(name)
    if not base:
        return ""
    count = seen.get(base, 0) + 1
    seen[base] = count
    if count == 1:
        return base
    suffix = f"-{count}"
    return f"{base[: REF_MAX_CHARS - len(suffix)]}{suffix}"
