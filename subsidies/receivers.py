"""Policies tells subsidies of a published version through its signal (policies never
imports subsidies): "enjoy without applying" starts the batch run. Loaded at start by
qinqing's app (autodiscovered)."""

from policies.signals import version_published

from .batch import start_on_publish

version_published.connect(start_on_publish, dispatch_uid="subsidies.batch_on_publish")
