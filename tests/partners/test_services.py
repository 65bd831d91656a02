"""The registry's services: validation of every field, the lifecycle, the audit trail,
and that nothing is saved when anything is wrong."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from partners import selectors, services
from partners.models import Contact, Partner, PartnerStatus, Product, StatusChange, Tier
from prm.accounts.models import Role, User
from slas.models import SlaPolicy
from slas.selectors import sla_policy_default
from tests.factories import PartnerFactory, UserFactory


@pytest.fixture
def alpha(db: None, in_tenant: Callable[..., Any], tenant_a: Any) -> Iterator[Any]:
    """The whole test runs in alpha's schema."""
    with in_tenant(tenant_a):
        yield tenant_a


@pytest.fixture
def manager(alpha: Any) -> User:
    return UserFactory.create(role=Role.MANAGER, email="carla.manager@example.com")


@pytest.fixture
def admin(alpha: Any) -> User:
    return UserFactory.create(role=Role.ADMIN, email="ada.admin@example.com")


def registry_counts() -> dict[str, int]:
    """Rows a failed write must not leave behind."""
    return {
        "partners": Partner.objects.count(),
        "status changes": StatusChange.objects.count(),
        "partner history": Partner.history.count(),
        "contacts": Contact.objects.count(),
    }


def refusal(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return error.value.message_dict


# --- creating a partner ------------------------------------------------------------------


def test_partner_create_normalises_every_field_and_records_the_first_status(
    manager: User, admin: User
) -> None:
    # given a product and a tier of the catalogue
    router = services.product_create(actor=admin, sku="router-x1", name="Router X1")
    gold = services.tier_create(actor=admin, slug="gold", name="Gold", rank=3)

    # when an admin creates a partner with values as people type them
    partner = services.partner_create(
        actor=admin,
        ref="northwind",
        name="  Northwind Traders ",
        domain="WWW.Bücher-Händler.test",
        country="gb",
        phone="020 7946 0958",
        contact_phone="+1 (201) 555-0123",
        contact_email="nancy@northwind.example",
        primary_dns="NS1.Example.NET.",
        secondary_dns="2001:DB8:0::53",
        products=["router-x1"],
        tier="gold",
        tags="VIP; emea,vip",
        channel_manager="Carla.Manager@Example.com",
    )

    # then it is stored in canonical form
    stored = Partner.objects.get(ref="northwind")
    assert stored.name == "Northwind Traders"
    assert stored.domain == "xn--bcher-hndler-mcb34a.test"
    assert str(stored.country) == "GB"
    assert str(stored.phone) == "+442079460958"
    assert str(stored.contact_phone) == "+12015550123"
    assert stored.primary_dns == "ns1.example.net"
    assert stored.secondary_dns == "2001:db8::53"
    assert list(stored.products.all()) == [router]
    assert stored.tier == gold
    assert stored.tags == ["vip", "emea"]
    assert stored.channel_manager == manager
    # and it starts as a prospect with the tenant's default SLA policy
    assert stored.status == PartnerStatus.PROSPECT
    assert stored.sla == sla_policy_default()
    # and its first status is recorded: who, when, from nothing, to prospect, why
    (change,) = StatusChange.objects.filter(partner=partner)
    assert (change.from_status, change.to_status, change.changed_by) == ("", "prospect", admin)
    assert change.reason == "created"
    assert timezone.now() - change.changed_at < timedelta(minutes=1)
    # and its creation is in the audit history, by the admin
    created = stored.history.earliest()
    assert (created.history_type, created.history_user) == ("+", admin)


def test_partner_gets_the_sla_policy_chosen_instead_of_the_default(manager: User) -> None:
    # given a second policy besides the tenant's default
    premium = SlaPolicy.objects.create(slug="premium", name="Premium support")

    # when one partner is created with it and one without a choice
    chosen = PartnerFactory.create(channel_manager=manager, sla="premium")
    defaulted = PartnerFactory.create(channel_manager=manager, sla="")

    # then each has the policy it should
    assert chosen.sla == premium
    assert defaulted.sla == sla_policy_default()
    assert defaulted.sla != premium


def test_partner_can_start_at_a_later_status_which_is_recorded(manager: User) -> None:
    # when a partner that is already active elsewhere is entered as active
    partner = PartnerFactory.create(
        channel_manager=manager, status="active", reason="migrated from the old CRM"
    )

    # then it is active, and the record says so and why
    assert partner.status == PartnerStatus.ACTIVE
    change = StatusChange.objects.get(partner=partner)
    assert (change.from_status, change.to_status) == ("", "active")
    assert change.reason == "migrated from the old CRM"


def test_invalid_phone_is_refused_naming_the_field_and_nothing_is_saved(manager: User) -> None:
    # given the registry as it is
    before = registry_counts()

    # when a partner is created with a phone number that is no number
    with pytest.raises(ValidationError) as refused:
        PartnerFactory.create(channel_manager=manager, ref="acme", phone="12", country="US")

    # then the phone is named, with a hint, and nothing was written
    assert list(refusal(refused)) == ["phone"]
    assert "enter it like +1" in refusal(refused)["phone"][0]
    assert registry_counts() == before


def test_every_problem_is_reported_at_once_and_nothing_is_saved(alpha: Any, manager: User) -> None:
    # given a partner user, who cannot manage partners
    portal_user = UserFactory.create(role=Role.PARTNER)
    before = registry_counts()

    # when a partner is created with something wrong in many fields
    with pytest.raises(ValidationError) as refused:
        services.partner_create(
            actor=manager,
            ref="not a slug!",
            name="",
            domain="acme shop.example",
            country="XX",
            phone="+44 20 7946",
            contact_phone="12",
            contact_email="not-an-address",
            primary_dns="ns1",
            secondary_dns="ns 2.example.com",
            products=["no-such-sku"],
            sla="no-such-policy",
            tier="no-such-tier",
            tags=["x" * 51],
            channel_manager=portal_user.email,
            status="dormant",
        )

    # then every one of those fields is named, and nothing was written
    assert set(refusal(refused)) == {
        "ref",
        "name",
        "domain",
        "country",
        "phone",
        "contact_phone",
        "contact_email",
        "primary_dns",
        "secondary_dns",
        "products",
        "sla",
        "tier",
        "tags",
        "channel_manager",
        "status",
    }
    assert "manager or administrator" in refusal(refused)["channel_manager"][0]
    assert "no-such-sku" in refusal(refused)["products"][0]
    assert registry_counts() == before


def test_local_phone_numbers_are_read_in_the_partners_country(manager: User) -> None:
    # when partners in different countries are entered with local numbers
    german = PartnerFactory.create(channel_manager=manager, country="DE", phone="030 901820")
    american = PartnerFactory.create(channel_manager=manager, country="US", phone="201-555-0123")

    # then each is read with its country's calling code
    assert str(german.phone) == "+4930901820"
    assert str(american.phone) == "+12015550123"
    assert german.calling_code == "+49"


def test_local_phone_number_without_a_country_is_refused(manager: User) -> None:
    # when a local number is entered and no country says how to read it
    with pytest.raises(ValidationError) as refused:
        PartnerFactory.create(channel_manager=manager, phone="020 7946 0958")

    # then the message says to add the country code or the country
    assert "set the country first" in refusal(refused)["phone"][0]


@pytest.mark.parametrize("country", ["XX", "UK", "United Kingdom"])
def test_country_must_be_an_iso_3166_code(manager: User, country: str) -> None:
    # when a partner is created with something that is no ISO 3166-1 code
    with pytest.raises(ValidationError) as refused:
        PartnerFactory.create(channel_manager=manager, country=country)

    # then the country is named
    assert list(refusal(refused)) == ["country"]


@pytest.mark.parametrize("country", ["GB", "gb", "GBR", "826"])
def test_country_is_stored_as_iso_3166_alpha_2(manager: User, country: str) -> None:
    # when a partner is created with an ISO 3166-1 code of any kind
    partner = PartnerFactory.create(channel_manager=manager, country=country)

    # then its alpha-2 code is stored
    assert str(Partner.objects.get(pk=partner.pk).country) == "GB"


def test_domain_is_unique_per_tenant_whatever_its_spelling(manager: User) -> None:
    # given a partner with a domain
    PartnerFactory.create(channel_manager=manager, domain="acme.example")
    before = registry_counts()

    # when another partner is given the same domain in other case, with www.
    with pytest.raises(ValidationError) as refused:
        PartnerFactory.create(channel_manager=manager, domain="WWW.Acme.EXAMPLE")

    # then the domain is named as taken, and nothing was written
    assert refusal(refused) == {"domain": ["Another partner already has this domain."]}
    assert registry_counts() == before


def test_same_domain_and_ref_are_fine_in_another_tenant(
    db: None, in_tenant: Callable[..., Any], tenant_a: Any, tenant_b: Any
) -> None:
    # given a partner in alpha
    with in_tenant(tenant_a):
        PartnerFactory.create(ref="acme", domain="acme.example")

    # when beta enters a partner with the same ref and domain
    with in_tenant(tenant_b):
        partner = PartnerFactory.create(ref="acme", domain="acme.example")

        # then beta has it too: uniqueness is per tenant
        assert Partner.objects.filter(ref="acme", domain="acme.example").count() == 1
    assert partner.pk is not None


def test_ref_is_a_slug_unique_per_tenant_and_no_page_name(manager: User) -> None:
    # given a partner "acme"
    PartnerFactory.create(channel_manager=manager, ref="acme")

    # when refs are entered that are taken, not slugs, reserved for pages, or missing
    # then each is refused naming the ref
    for ref, message in [
        ("acme", "already exists"),
        ("acme corp", "letters, numbers, underscores or hyphens"),
        ("new", "is a page name here"),
        ("", "This field is required."),
    ]:
        with pytest.raises(ValidationError) as refused:
            PartnerFactory.create(channel_manager=manager, ref=ref)
        assert message in " ".join(refusal(refused)["ref"]), ref
    assert Partner.objects.count() == 1


def test_ref_cannot_be_changed_into_a_page_name(manager: User) -> None:
    # given a partner
    partner = PartnerFactory.create(channel_manager=manager, ref="acme")

    # when its ref is changed to one that names a page of the partner pages
    with pytest.raises(ValidationError) as refused:
        services.partner_update(partner=partner, actor=manager, ref="import")

    # then it is refused as it would be on creation, and the ref stays
    assert "is a page name here" in refusal(refused)["ref"][0]
    assert Partner.objects.get(pk=partner.pk).ref == "acme"


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_channel_manager_may_be_a_manager_or_an_admin(alpha: Any, role: str) -> None:
    # given a staff user of that role
    staff = UserFactory.create(role=role)

    # when a partner is given them as channel manager, by e-mail
    partner = PartnerFactory.create(channel_manager=staff.email.upper())

    # then they are its one channel manager
    assert partner.channel_manager == staff
    assert list(staff.managed_partners.all()) == [partner]


def test_channel_manager_must_be_an_active_staff_user(alpha: Any, manager: User) -> None:
    # given users who cannot manage partners
    portal_user = UserFactory.create(role=Role.PARTNER)
    gone = UserFactory.create(role=Role.MANAGER)
    gone.is_active = False
    gone.save()

    # when each is named channel manager (or nobody is)
    # then the channel manager is named, saying why
    for candidate, message in [
        (portal_user.email, "must be an active manager or administrator"),
        (gone, "must be an active manager or administrator"),
        ("nobody@example.com", "There is no user with e-mail nobody@example.com"),
        ("", "Every partner needs a channel manager"),
    ]:
        with pytest.raises(ValidationError) as refused:
            services.partner_create(
                actor=manager, ref="acme", name="Acme", channel_manager=candidate
            )
        assert message in refusal(refused)["channel_manager"][0]
    assert not Partner.objects.filter(ref="acme").exists()


def test_channel_manager_cannot_be_removed_from_a_partner(manager: User) -> None:
    # given a partner with its channel manager
    partner = PartnerFactory.create(channel_manager=manager)

    # when the channel manager is cleared
    with pytest.raises(ValidationError) as refused:
        services.partner_update(partner=partner, actor=manager, channel_manager="")

    # then it is refused: every partner keeps exactly one
    assert "Every partner needs a channel manager" in refusal(refused)["channel_manager"][0]
    assert Partner.objects.get(pk=partner.pk).channel_manager == manager


def test_reassigning_partners_changes_their_one_channel_manager(
    alpha: Any, manager: User, admin: User
) -> None:
    # given two partners of one manager and one of another
    mine = [PartnerFactory.create(channel_manager=manager) for _ in range(2)]
    other = PartnerFactory.create(channel_manager=admin)

    # when all three are given to the admin
    changed = services.partners_reassign(partners=[*mine, other], manager=admin, actor=admin)

    # then the two that changed are counted and every partner has the admin
    assert changed == 2
    assert set(Partner.objects.values_list("channel_manager", flat=True)) == {admin.pk}
    # and the reassignment is in the audit history
    latest = mine[0].history.first()
    assert latest is not None
    assert latest.history_user == admin


def test_partners_cannot_be_given_to_a_partner_user(alpha: Any, manager: User) -> None:
    # given a partner and a partner user
    partner = PartnerFactory.create(channel_manager=manager)
    portal_user = UserFactory.create(role=Role.PARTNER)

    # when the partner is reassigned to the portal user
    with pytest.raises(ValidationError) as refused:
        services.partners_reassign(partners=[partner], manager=portal_user, actor=manager)

    # then it is refused and the partner keeps its manager
    assert "channel_manager" in refusal(refused)
    assert Partner.objects.get(pk=partner.pk).channel_manager == manager


def test_updating_with_a_bad_field_saves_none_of_the_good_ones(manager: User) -> None:
    # given a partner
    partner = PartnerFactory.create(channel_manager=manager, name="Acme", country="GB")
    before = registry_counts()

    # when a good name and a bad domain are sent together
    with pytest.raises(ValidationError) as refused:
        services.partner_update(
            partner=partner, actor=manager, name="Acme Europe", domain="acme example.com"
        )

    # then the domain is named and the name was not saved either
    assert list(refusal(refused)) == ["domain"]
    assert Partner.objects.get(pk=partner.pk).name == "Acme"
    assert registry_counts() == before


def test_changing_phone_and_country_together_reads_the_number_in_the_new_country(
    manager: User,
) -> None:
    # given a British partner with a British number
    partner = PartnerFactory.create(channel_manager=manager, country="GB", phone="020 7946 0958")

    # when it moves to Germany with a local German number
    services.partner_update(partner=partner, actor=manager, country="DE", phone="030 901820")

    # then the number is read as German; when only the country changes later
    assert str(Partner.objects.get(pk=partner.pk).phone) == "+4930901820"
    services.partner_update(partner=partner, actor=manager, country="AT")
    # then the stored E.164 number stays what it was
    assert str(Partner.objects.get(pk=partner.pk).phone) == "+4930901820"


def test_unknown_field_is_a_programming_error_not_a_user_error(manager: User) -> None:
    # when a service is called with a field partners do not have
    # then it fails loudly, as a bug in the caller
    with pytest.raises(TypeError, match="not partner fields: colour"):
        services.partner_create(actor=manager, ref="acme", name="Acme", colour="red")


# --- the lifecycle ---------------------------------------------------------------------------

STATUSES = [status.value for status in PartnerStatus]
# The rules as the issue states them: the way forward, suspending or terminating from
# anywhere (a terminated partner stays terminated), and back from suspended to active.
ALLOWED = {
    ("prospect", "onboarding"),
    ("onboarding", "active"),
    ("active", "affiliate"),
    ("suspended", "active"),
    *((status, "suspended") for status in STATUSES if status not in ("suspended", "terminated")),
    *((status, "terminated") for status in STATUSES if status != "terminated"),
}


@pytest.mark.parametrize(("from_status", "to_status"), sorted(ALLOWED))
def test_allowed_move_is_made_and_recorded_with_who_when_from_to_and_why(
    manager: User, admin: User, from_status: str, to_status: str
) -> None:
    # given a partner at `from_status`
    partner = PartnerFactory.create(channel_manager=manager, status=from_status)
    started = timezone.now()

    # when the admin moves it, saying why
    services.partner_transition(
        partner=partner, to_status=to_status, actor=admin, reason="quarterly review"
    )

    # then it has the new status and the move is recorded
    assert Partner.objects.get(pk=partner.pk).status == to_status
    change = selectors.status_change_list(partner=partner).first()
    assert change is not None
    assert (change.from_status, change.to_status) == (from_status, to_status)
    assert change.changed_by == admin
    assert change.reason == "quarterly review"
    assert started <= change.changed_at <= timezone.now()
    # and the partner's audit history has the status change, by the admin
    latest = partner.history.first()
    assert latest is not None
    assert (latest.status, latest.history_user) == (to_status, admin)


REFUSED = sorted(
    (from_status, to_status)
    for from_status in STATUSES
    for to_status in STATUSES
    if (from_status, to_status) not in ALLOWED
)


@pytest.mark.parametrize(("from_status", "to_status"), REFUSED)
def test_any_other_move_is_refused_with_a_reason_and_nothing_recorded(
    manager: User, from_status: str, to_status: str
) -> None:
    # given a partner at `from_status`
    partner = PartnerFactory.create(channel_manager=manager, status=from_status)
    before = registry_counts()

    # when it is moved where the lifecycle does not go
    with pytest.raises(ValidationError) as refused:
        services.partner_transition(partner=partner, to_status=to_status, actor=manager)

    # then the status is named with a sentence that says why, and nothing changed
    (message,) = refusal(refused)["status"]
    assert message.startswith(("A ", "The partner is already"))
    assert message.endswith(".")
    assert Partner.objects.get(pk=partner.pk).status == from_status
    assert registry_counts() == before


def test_refusal_names_the_moves_that_are_possible(manager: User) -> None:
    # given a prospect
    partner = PartnerFactory.create(channel_manager=manager)

    # when it is made an affiliate straight away
    with pytest.raises(ValidationError) as refused:
        services.partner_transition(partner=partner, to_status="affiliate", actor=manager)

    # then the message says where a prospect can go
    assert refusal(refused)["status"] == [
        "A prospect partner can only become onboarding, suspended, terminated."
    ]
    assert services.allowed_transitions("prospect") == ["onboarding", "suspended", "terminated"]
    assert services.allowed_transitions("terminated") == []


def test_update_with_a_status_moves_it_along_with_the_fields(manager: User, admin: User) -> None:
    # given a prospect
    partner = PartnerFactory.create(channel_manager=manager)

    # when a field and the status are changed in one update
    services.partner_update(
        partner=partner,
        actor=admin,
        city="Leeds",
        status="onboarding",
        reason="contract signed",
    )

    # then both are saved and one move is recorded
    stored = Partner.objects.get(pk=partner.pk)
    assert (stored.city, stored.status) == ("Leeds", "onboarding")
    change = StatusChange.objects.filter(partner=partner).first()
    assert change is not None
    assert (change.from_status, change.to_status, change.reason) == (
        "prospect",
        "onboarding",
        "contract signed",
    )
    assert change.changed_by == admin


def test_update_with_a_refused_move_saves_none_of_the_fields(manager: User) -> None:
    # given a prospect in York
    partner = PartnerFactory.create(channel_manager=manager, city="York")
    before = registry_counts()

    # when a new city and an impossible move are sent together
    with pytest.raises(ValidationError) as refused:
        services.partner_update(partner=partner, actor=manager, city="Leeds", status="affiliate")

    # then the status is named and the city was not saved either
    assert list(refusal(refused)) == ["status"]
    stored = Partner.objects.get(pk=partner.pk)
    assert (stored.city, stored.status) == ("York", "prospect")
    assert registry_counts() == before


def test_move_checks_the_stored_status_not_a_stale_copy(manager: User) -> None:
    # given two copies of one prospect, as two requests would load it
    partner = PartnerFactory.create(channel_manager=manager)
    first, second = Partner.objects.get(pk=partner.pk), Partner.objects.get(pk=partner.pk)

    # when the first terminates it, and the second then tries to start onboarding
    services.partner_transition(partner=first, to_status="terminated", actor=manager)
    with pytest.raises(ValidationError) as refused:
        services.partner_transition(partner=second, to_status="onboarding", actor=manager)

    # then the second move is refused: a terminated partner cannot change status
    assert refusal(refused)["status"] == ["A terminated partner cannot change status."]
    assert Partner.objects.get(pk=partner.pk).status == "terminated"


# --- audit history ---------------------------------------------------------------------------


def test_partner_history_says_who_changed_which_fields_from_what_to_what(
    manager: User, admin: User
) -> None:
    # given a partner created by the manager
    partner = PartnerFactory.create(
        channel_manager=manager, actor=manager, name="Acme", phone="+44 20 7946 0958"
    )

    # when the admin renames it and changes its phone number
    services.partner_update(
        partner=partner, actor=admin, name="Acme Europe", phone="+44 20 7946 0959"
    )

    # then the newest audit entry names the admin and both changes
    newest = selectors.audit_entries(partner=partner)[0]
    assert newest["who"] == admin
    assert newest["what"] == "partner changed"
    assert timezone.now() - newest["when"] < timedelta(minutes=1)
    changes = {
        change["field"]: (str(change["old"]), str(change["new"])) for change in newest["changes"]
    }
    assert changes == {
        "name": ("Acme", "Acme Europe"),
        "phone": ("+442079460958", "+442079460959"),
    }
    # and the creation, by the manager, is the oldest
    oldest = selectors.audit_entries(partner=partner)[-1]
    assert (oldest["what"], oldest["who"]) == ("partner created", manager)


def test_status_change_alone_is_one_audit_entry(manager: User, admin: User) -> None:
    # given a prospect
    partner = PartnerFactory.create(channel_manager=manager, actor=manager)

    # when the admin only moves it on
    services.partner_update(partner=partner, actor=admin, status="onboarding")

    # then the audit has exactly the creation and that one change, with nothing empty
    assert [
        (entry["what"], entry["who"], entry["changes"])
        for entry in selectors.audit_entries(partner=partner)
    ] == [
        ("partner changed", admin, [{"field": "status", "old": "prospect", "new": "onboarding"}]),
        ("partner created", manager, []),
    ]


def test_partner_history_records_product_changes(manager: User) -> None:
    # given a partner selling one product
    services.product_create(actor=manager, sku="router-x1", name="Router X1")
    services.product_create(actor=manager, sku="switch-s2", name="Switch S2")
    partner = PartnerFactory.create(channel_manager=manager, products=["router-x1"])

    # when a second product is added
    services.partner_update(partner=partner, actor=manager, products=["router-x1", "switch-s2"])

    # then the history shows the products before and after, by SKU
    newest = selectors.audit_entries(partner=partner)[0]
    assert newest["changes"] == [
        {"field": "products", "old": ["router-x1"], "new": ["router-x1", "switch-s2"]}
    ]


def test_contact_history_is_part_of_the_partners_audit(manager: User, admin: User) -> None:
    # given a partner with a contact added by the manager
    partner = PartnerFactory.create(channel_manager=manager, country="GB")
    contact = services.contact_create(
        partner=partner, actor=manager, name="Nancy Davolio", role="sales"
    )

    # when the admin changes the contact's title and phone
    services.contact_update(
        contact=contact, actor=admin, title="Head of Sales", phone="020 7946 0958"
    )

    # then the partner's audit shows the contact change, by the admin, field by field
    newest = selectors.audit_entries(partner=partner)[0]
    assert (newest["what"], newest["who"]) == ("contact changed", admin)
    changes = {change["field"]: (change["old"], str(change["new"])) for change in newest["changes"]}
    assert changes == {"title": ("", "Head of Sales"), "phone": ("", "+442079460958")}
    # and its creation by the manager is there too
    assert ("contact created", manager) in [
        (entry["what"], entry["who"]) for entry in selectors.audit_entries(partner=partner)
    ]


def test_product_history_says_who_changed_what(manager: User, admin: User) -> None:
    # given a product
    product = services.product_create(actor=manager, sku="router-x1", name="Router X1")

    # when the admin renames it
    services.product_update(product=product, actor=admin, name="Router X1 Pro")

    # then its history names the admin and the change
    newest, created = product.history.all()[:2]
    assert (newest.history_user, created.history_user) == (admin, manager)
    delta = newest.diff_against(created)
    assert [(change.field, change.old, change.new) for change in delta.changes] == [
        ("name", "Router X1", "Router X1 Pro")
    ]


def test_deleted_partner_keeps_its_history(manager: User, admin: User) -> None:
    # given a partner
    partner = PartnerFactory.create(channel_manager=manager, ref="mistake")
    partner_id = partner.pk

    # when the admin deletes it
    services.partner_delete(partner=partner, actor=admin)

    # then it is gone, but its history says who deleted it
    assert not Partner.objects.filter(pk=partner_id).exists()
    deleted = Partner.history.filter(id=partner_id).first()
    assert deleted is not None
    assert (deleted.history_type, deleted.history_user, deleted.ref) == ("-", admin, "mistake")


# --- contacts, products, tiers -------------------------------------------------------------


def test_contact_phone_is_read_in_the_partners_country(manager: User) -> None:
    # given a French partner
    partner = PartnerFactory.create(channel_manager=manager, country="FR")

    # when a contact is added with a local French number
    contact = services.contact_create(
        partner=partner, actor=manager, name="Jean Dupont", phone="01 23 45 67 89"
    )

    # then it is stored in E.164 with France's code
    assert str(Contact.objects.get(pk=contact.pk).phone) == "+33123456789"


def test_contact_with_bad_values_is_refused_by_field_and_not_saved(manager: User) -> None:
    # given a partner
    partner = PartnerFactory.create(channel_manager=manager, country="FR")

    # when a contact is added without a name, with a bad phone, e-mail and role
    with pytest.raises(ValidationError) as refused:
        services.contact_create(
            partner=partner, actor=manager, name="", phone="12", email="nope", role="boss"
        )

    # then each field is named and no contact exists
    assert set(refusal(refused)) == {"name", "phone", "email", "role"}
    assert not Contact.objects.filter(partner=partner).exists()


def test_product_sku_is_a_unique_slug(admin: User) -> None:
    # given a product
    services.product_create(actor=admin, sku="router-x1", name="Router X1")

    # when products are created with the same SKU, or one that is no slug
    for sku in ("router-x1", "router x1"):
        with pytest.raises(ValidationError) as refused:
            services.product_create(actor=admin, sku=sku, name="Another")
        # then the SKU is named
        assert "sku" in refusal(refused), sku
    assert Product.objects.count() == 1


def test_partner_terms_come_from_the_tier_unless_overridden(manager: User, admin: User) -> None:
    # given a tier with programme terms
    services.tier_create(
        actor=admin,
        slug="gold",
        name="Gold",
        roles="Resell and install",
        responsibilities="Quarterly forecast",
        benefits="30% margin",
    )

    # when one partner overrides its benefits and another keeps the tier's
    special = PartnerFactory.create(channel_manager=manager, tier="gold", benefits="35% margin")
    plain = PartnerFactory.create(channel_manager=manager, tier="gold")

    # then each reads the right terms
    assert (special.effective_roles, special.effective_benefits) == (
        "Resell and install",
        "35% margin",
    )
    assert plain.effective_benefits == "30% margin"
    assert Tier.objects.get(slug="gold").partners.count() == 2


# --- who sees which partner ------------------------------------------------------------------


def test_partner_user_sees_only_its_own_partner(alpha: Any, manager: User) -> None:
    # given two partners, and a portal user of the first
    own = PartnerFactory.create(channel_manager=manager)
    other = PartnerFactory.create(channel_manager=manager)
    portal_user = UserFactory.create(role=Role.PARTNER, partner=own)

    # when the portal user's partners are listed, then only its own is there
    assert list(selectors.partner_list_for_user(user=portal_user)) == [own]
    assert selectors.partner_get_for_user(user=portal_user, ref=own.ref) == own
    # and another partner is "not found"
    with pytest.raises(Partner.DoesNotExist):
        selectors.partner_get_for_user(user=portal_user, ref=other.ref)
    # while staff see both
    assert set(selectors.partner_list_for_user(user=manager)) == {own, other}


def test_inactive_or_anonymous_users_see_no_partner(alpha: Any, manager: User) -> None:
    # given a partner and a user who has left
    PartnerFactory.create(channel_manager=manager)
    gone = UserFactory.create(role=Role.ADMIN)
    gone.is_active = False
    gone.save()
    from django.contrib.auth.models import AnonymousUser

    # when they list partners, then they see none (the selector fails closed)
    assert not selectors.partner_list_for_user(user=gone).exists()
    assert not selectors.partner_list_for_user(user=AnonymousUser()).exists()
    assert selectors.partner_list_for_user(user=manager).exists()
