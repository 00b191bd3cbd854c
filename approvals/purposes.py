"""The data-access log's words for the reads approvals make (datahub.purposes): the
commitment route's credit check and the sheet's prefill."""

from __future__ import annotations

from django.utils.translation import gettext as _

from datahub.purposes import PURPOSES, PurposeRef

from .models import Application, Item, ServicePackage


@PURPOSES.register("approvals.application")
def describe_application(refs: list[PurposeRef]) -> dict[str, str]:
    """`approvals.application:3 commitment route` → "your project application no. 3 —
    checking your credit for the commitment route"."""
    ids = [int(ref.object_id) for ref in refs if ref.object_id.isdigit()]
    applications = Application.objects.select_related("package").in_bulk(ids)
    words = {}
    for ref in refs:
        application = applications.get(int(ref.object_id)) if ref.object_id.isdigit() else None
        if application is None:
            continue
        base = _("your %(package)s application no. %(number)s") % {
            "package": application.package.name, "number": application.pk}  # fmt: skip
        if "commitment" in ref.rest:
            words[ref.raw] = _("%(application)s — checking your credit for approval on "
                               "commitment") % {"application": base}  # fmt: skip
        else:
            words[ref.raw] = base
    return words


@PURPOSES.register("approvals")
def describe_prefill(refs: list[PurposeRef]) -> dict[str, str]:
    """`approvals.<package> prefill` → "filling in your … sheet for you"."""
    codes = [ref.key.split(".", 1)[1] for ref in refs]
    packages = ServicePackage.objects.in_bulk(codes, field_name="code")
    words = {}
    for ref in refs:
        package = packages.get(ref.key.split(".", 1)[1])
        if package is not None and ref.rest == "prefill":
            words[ref.raw] = _("filling in your %(package)s sheet for you") % {
                "package": package.name}  # fmt: skip
    return words


@PURPOSES.register("approvals.item")
def describe_item(refs: list[PurposeRef]) -> dict[str, str]:
    """`approvals.item:10` (what a commitment is about) → "用地预审, application no. 3"."""
    ids = [int(ref.object_id) for ref in refs if ref.object_id.isdigit()]
    items = Item.objects.select_related("item_type").in_bulk(ids)
    words = {}
    for ref in refs:
        item = items.get(int(ref.object_id)) if ref.object_id.isdigit() else None
        if item is not None:
            words[ref.raw] = _("%(item)s, application no. %(number)s") % {
                "item": item.item_type.name, "number": item.application_id}  # fmt: skip
    return words
