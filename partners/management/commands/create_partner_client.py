"""manage.py create_partner_client --name … --department CODE [--district CODE] |
--enterprise USCC --scopes a,b [--rate N]: prints the client ID and, once, the secret."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from departments.models import Department, District
from enterprises.models import Enterprise
from partners.services import create_partner_client


class Command(BaseCommand):
    help = (
        "Register a partner system (OAuth2 client credentials) bound to a department or an "
        "enterprise."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        binding = parser.add_mutually_exclusive_group(required=True)
        binding.add_argument("--department", help="department code, e.g. market")
        binding.add_argument("--enterprise", help="the enterprise's Unified Social Credit Code")
        parser.add_argument("--district", help="district code (department binding only)")
        parser.add_argument("--scopes", required=True, help="comma-separated, e.g. claims:read")
        parser.add_argument("--rate", type=int, help="requests per minute (default: settings)")

    def handle(self, *args, **options) -> None:
        def one(model, field: str, value: str | None):
            if value is None:
                return None
            found = model.objects.filter(**{field: value}).first()
            if found is None:
                raise CommandError(f"No {model._meta.verbose_name} with {field} {value!r}.")
            return found

        try:
            client, secret = create_partner_client(
                name=options["name"],
                scopes=options["scopes"].split(","),
                department=one(Department, "code", options["department"]),
                district=one(District, "code", options["district"]),
                enterprise=one(Enterprise, "uscc", options["enterprise"]),
                requests_per_minute=options["rate"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(f"client_id={client.application.client_id}")
        self.stdout.write(f"client_secret={secret}")
        self.stdout.write(f"scopes={' '.join(client.scopes)}")
        self.stderr.write("Keep the secret now: it is stored hashed and cannot be shown again.")
