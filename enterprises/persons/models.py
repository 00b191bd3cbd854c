"""A person in the register: known by the resident identity number, kept minimal.

What is kept and why (docs/security.md): the number only as a keyed hash (to find the
person) and sealed (to use it where a department or a bank needs it), its masked form to
show, the name, and the birth year (age limits of policies). Where the person works is
not entered here: it is a fact the social-insurance department answers through the hub
(person.hrss.employer_uscc), read with a purpose each time.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.scoping import Reach

from .protection import unseal


class Person(models.Model):
    # The person sees their own row; auditors and administrators read it (masked number
    # only); no enterprise and no official sees the register of persons as such.
    reach = Reach(person="self", officials=False)

    # Unique by a constraint rather than `unique=True`: on PostgreSQL Django gives a unique
    # CharField a second, varchar_pattern_ops ("LIKE") index as well, and nothing looks a
    # keyed hash up by prefix (only by equality: find_person, register_person and the bulk
    # registration's ON CONFLICT) — a second index to write for every person registered.
    id_hash = models.CharField(_("identity number (keyed hash)"), max_length=64, editable=False)
    id_sealed = models.BinaryField(_("identity number (encrypted)"), editable=False)
    id_masked = models.CharField(_("identity number"), max_length=18, editable=False)
    name = models.CharField(_("name"), max_length=50)
    birth_year = models.PositiveSmallIntegerField(_("birth year"))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    registered_at = models.DateTimeField(_("registered"), auto_now_add=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["id_hash"], name="one_person_per_number")]

    def __str__(self) -> str:
        return f"{self.name} ({self.id_masked})"

    def identity_number(self) -> str:
        """The number itself, for a department's interface or the person's bank: never
        shown, never logged (show `id_masked`)."""
        return unseal(self.id_sealed, self.id_hash)
