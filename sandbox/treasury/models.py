"""The simulated treasury's own books: what it has paid, by idempotency key.

The table keeps the name it had when the books lived in subsidies (migrated by state only,
data and table untouched); a deployment with a real treasury never installs this app."""

from django.db import models

from qinqing.money import MoneyField


class TreasuryRecord(models.Model):
    """One payment the simulated treasury has made; the key is unique, so paying twice
    with one key pays once."""

    key = models.CharField(max_length=80, unique=True)
    amount = MoneyField()
    account = models.CharField(max_length=30)
    # The payee as the payment file names them: a person's masked name, never a number.
    payee = models.CharField(max_length=60, blank=True, default="")
    reference = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "subsidies_treasuryrecord"

    def __str__(self) -> str:
        return self.key


class TreasuryCollection(models.Model):
    """Money the simulated treasury has collected from an enterprise's account (a recovery
    order repaid), by idempotency key: collecting twice with one key collects once."""

    key = models.CharField(max_length=80, unique=True)
    amount = MoneyField()
    account = models.CharField(max_length=30)
    reference = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key
