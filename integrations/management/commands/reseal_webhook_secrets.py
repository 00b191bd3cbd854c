"""Seal every webhook signing secret again with the first key of WEBHOOK_SECRET_KEY: the
step of a key rotation between adding the new key (first) and dropping the old one."""

from typing import Any

from django.core.management.base import BaseCommand

from integrations import signing


class Command(BaseCommand):
    help = "Re-seal every webhook signing secret with the first WEBHOOK_SECRET_KEY."

    def handle(self, *args: Any, **options: Any) -> None:
        done, unreadable = signing.reseal_secrets()
        self.stdout.write(f"{done} secrets re-sealed, {unreadable} unreadable.")
        if unreadable:
            self.stderr.write("Some secrets open with no configured key: they stay as they are.")
