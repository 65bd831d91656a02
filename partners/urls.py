"""Browser pages of the registry, under /partners/. The page names used here ("new",
"export", "reassign", "mine", "tiers") are refs the services refuse, so no partner
hides them."""

from django.urls import path

from . import views, views_tiers

app_name = "partners"

urlpatterns = [
    path("", views.partner_list, name="list"),
    path("mine/", views.partner_list_mine, name="mine"),
    path("new/", views.partner_new, name="new"),
    path("export/", views.partner_export, name="export"),
    path("reassign/", views.partners_reassign, name="reassign"),
    path("tiers/", views_tiers.tier_list, name="tiers"),
    path("tiers/new/", views_tiers.tier_new, name="tier_new"),
    path("tiers/<slug:slug>/edit/", views_tiers.tier_edit, name="tier_edit"),
    path("tiers/<slug:slug>/delete/", views_tiers.tier_delete, name="tier_delete"),
    path("<slug:ref>/", views.partner_detail, name="detail"),
    path("<slug:ref>/edit/", views.partner_edit, name="edit"),
    path("<slug:ref>/status/", views.partner_status, name="status"),
    path("<slug:ref>/terminate/", views.partner_terminate, name="terminate"),
    path("<slug:ref>/dns/check/", views.partner_dns_check, name="dns_check"),
    path("<slug:ref>/dns/detect/", views.partner_dns_detect, name="dns_detect"),
    path("<slug:ref>/contacts/new/", views.contact_new, name="contact_new"),
    path("<slug:ref>/contacts/<int:contact_id>/edit/", views.contact_edit, name="contact_edit"),
    path(
        "<slug:ref>/contacts/<int:contact_id>/delete/",
        views.contact_delete,
        name="contact_delete",
    ),
]
