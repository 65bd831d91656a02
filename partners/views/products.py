"""Pages of the product catalogue, under /partners/products/: staff read it (each
product with how many partners offer it); creating, changing, retiring and deleting a
product are the tenant administrator's (prm.web.access.may_configure_programme, the
rule the API's /api/v1/products/ asks too). A product that partners offer or that
orders name is never deleted: the page says why and offers to retire it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from prm.web.access import programme_admin_required, staff_required
from prm.web.forms import form_errors_from

from .. import selectors, services
from ..forms_programme import ProductForm
from ..models import Product
from .common import acting_user


def _product_or_404(sku: str) -> Product:
    return get_object_or_404(selectors.product_list_with_usage(), sku=sku)


@staff_required
def product_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "partners/products.html", {"products": selectors.product_list_with_usage()}
    )


def _save(request: HttpRequest, product: Product | None) -> HttpResponse:
    initial = (
        {field: getattr(product, field) for field in services.PRODUCT_FIELDS} if product else {}
    )
    form = ProductForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                if product is None:
                    saved = services.product_create(actor=acting_user(request), **form.cleaned_data)
                else:
                    saved = services.product_update(
                        product=product, actor=acting_user(request), **form.cleaned_data
                    )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            done = "created" if product is None else "saved"
            messages.success(request, f"The product “{saved.name}” ({saved.sku}) is {done}.")
            return redirect("partners:products")
    return render(request, "partners/product_form.html", {"form": form, "product": product})


@programme_admin_required
def product_new(request: HttpRequest) -> HttpResponse:
    return _save(request, None)


@programme_admin_required
def product_edit(request: HttpRequest, sku: str) -> HttpResponse:
    return _save(request, _product_or_404(sku))


@programme_admin_required
@require_POST
def product_retire(request: HttpRequest, sku: str) -> HttpResponse:
    """Retire a product (no longer offered for new partners), or offer it again."""
    product = _product_or_404(sku)
    offer = request.POST.get("offer") == "1"
    with transaction.atomic():
        services.product_update(product=product, actor=acting_user(request), is_active=offer)
    if offer:
        messages.success(request, f"“{product.name}” is offered to partners again.")
    else:
        messages.success(
            request,
            f"“{product.name}” is retired: it stays on the partners and orders that have it, "
            "and is no longer offered for new ones.",
        )
    return redirect("partners:products")


@programme_admin_required
@require_POST
def product_delete(request: HttpRequest, sku: str) -> HttpResponse:
    product = _product_or_404(sku)
    try:
        services.product_delete(product=product, actor=acting_user(request))
    except services.ProductInUse as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, f"The product “{product.name}” ({product.sku}) is deleted.")
    return redirect("partners:products")
