"""Browser pages of the registry, under /partners/. The page names used here ("new",
"export", "reassign", "mine", "tiers", "products") are refs the services refuse, so no
partner hides them."""

from django.urls import path

from .views import contacts, dns, lists, pages, products, tiers

app_name = "partners"

urlpatterns = [
    path("", lists.partner_list, name="list"),
    path("mine/", lists.partner_list_mine, name="mine"),
    path("new/", pages.partner_new, name="new"),
    path("export/", lists.partner_export, name="export"),
    path("reassign/", lists.partners_reassign, name="reassign"),
    path("tiers/", tiers.tier_list, name="tiers"),
    path("tiers/new/", tiers.tier_new, name="tier_new"),
    path("tiers/<slug:slug>/edit/", tiers.tier_edit, name="tier_edit"),
    path("tiers/<slug:slug>/delete/", tiers.tier_delete, name="tier_delete"),
    path("products/", products.product_list, name="products"),
    path("products/new/", products.product_new, name="product_new"),
    path("products/<slug:sku>/edit/", products.product_edit, name="product_edit"),
    path("products/<slug:sku>/retire/", products.product_retire, name="product_retire"),
    path("products/<slug:sku>/delete/", products.product_delete, name="product_delete"),
    path("<slug:ref>/", pages.partner_detail, name="detail"),
    path("<slug:ref>/edit/", pages.partner_edit, name="edit"),
    path("<slug:ref>/status/", pages.partner_status, name="status"),
    path("<slug:ref>/terminate/", pages.partner_terminate, name="terminate"),
    path("<slug:ref>/dns/check/", dns.partner_dns_check, name="dns_check"),
    path("<slug:ref>/dns/detect/", dns.partner_dns_detect, name="dns_detect"),
    path("<slug:ref>/contacts/new/", contacts.contact_new, name="contact_new"),
    path("<slug:ref>/contacts/<int:contact_id>/edit/", contacts.contact_edit, name="contact_edit"),
    path(
        "<slug:ref>/contacts/<int:contact_id>/delete/",
        contacts.contact_delete,
        name="contact_delete",
    ),
]
