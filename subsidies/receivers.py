"""Policies tells subsidies of a published version through its signal (policies never
imports subsidies): "enjoy without applying" starts the batch run. The register tells it
of new bank details (enterprises never imports subsidies): payments that failed for want
of a valid account are tried again. Loaded at start by qinqing's app (autodiscovered)."""

from enterprises.signals import bank_details_changed
from policies.signals import version_published

from .batch import start_on_publish
from .payments import retry_for_enterprise

version_published.connect(start_on_publish, dispatch_uid="subsidies.batch_on_publish")
bank_details_changed.connect(retry_for_enterprise, dispatch_uid="subsidies.retry_on_new_bank")
