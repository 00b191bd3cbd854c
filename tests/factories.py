"""factory_boy factories: each test builds exactly the records it talks about."""

from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth.hashers import make_password

from accounts.models import Role, User
from departments.models import Department, District
from enterprises.models import Enterprise, EnterpriseMembership, MemberRole, SizeClass
from qinqing.identifiers import make_uscc, organisation_code

PASSWORD = "correct horse battery staple"


def district(code: str) -> District:
    """Districts are reference data loaded by a migration; tests use the real ones."""
    return District.objects.get(code=code)


def department(code: str) -> Department:
    return Department.objects.get(code=code)


def uscc_for(number: int, admin_code: str = "330106") -> str:
    return make_uscc(admin_code + organisation_code(f"MA{number:06d}"))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Faker("name", locale="zh_CN")
    password = factory.LazyFunction(lambda: make_password(PASSWORD))
    role = Role.ENTERPRISE


class OfficialFactory(UserFactory):
    role = Role.OFFICIAL
    department = factory.LazyFunction(lambda: department("market"))
    district = None


class AuditorFactory(UserFactory):
    role = Role.AUDITOR
    is_staff = True


class AdminFactory(UserFactory):
    role = Role.ADMIN
    is_staff = True
    is_superuser = True


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    uscc = factory.Sequence(uscc_for)
    name = factory.Sequence(lambda n: f"杭州测试{n}科技有限公司")
    district = factory.LazyFunction(lambda: district("xihu"))
    industry_section = "I"
    industry_division = "65"
    established_on = date(2015, 6, 1)
    registered_capital = Decimal("1000000.00")
    size_class = SizeClass.SMALL
    legal_representative = "张三"
    contact_phone = "13800138000"
    bank_name = "杭州银行"
    bank_account = "6222020200112233445"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EnterpriseMembership

    enterprise = factory.SubFactory(EnterpriseFactory)
    user = factory.SubFactory(UserFactory)
    role = MemberRole.LEGAL_REPRESENTATIVE


def member_of(enterprise: Enterprise, **user_fields) -> User:
    user = UserFactory(**user_fields)
    MembershipFactory(enterprise=enterprise, user=user)
    return user


# --- Credit ------------------------------------------------------------------------------


class CreditRecordFactory(factory.django.DjangoModelFactory):
    """A record written straight to the table (no grade recomputed): for reads and for
    set-based recomputation. Tests of the services go through credit's services."""

    class Meta:
        model = "credit.CreditRecord"

    enterprise = factory.SubFactory(EnterpriseFactory)
    kind = "administrative_penalty"
    severity = "general"
    tax_grade = ""
    department = factory.LazyFunction(lambda: department("market"))
    title = factory.Sequence(lambda n: f"行政处罚 {n}")
    occurred_on = factory.LazyFunction(date.today)
    publicity_months = factory.LazyAttribute(lambda record: _credit_window(record)[0])
    public_until = factory.LazyAttribute(lambda record: _credit_window(record)[1])
    expires_on = factory.LazyAttribute(lambda record: _credit_window(record)[2])


def _credit_window(record) -> tuple:
    from credit.records.models import publicity_window

    return publicity_window(record.severity, record.occurred_on)


class CommitmentFactory(factory.django.DjangoModelFactory):
    """A commitment as make_commitment leaves it (status "made"), without its record."""

    class Meta:
        model = "credit.Commitment"

    enterprise = factory.SubFactory(EnterpriseFactory)
    notice = factory.LazyFunction(lambda: _notice("approval-item"))
    text_sha256 = factory.LazyAttribute(lambda commitment: commitment.notice.sha256)
    accepted_by = factory.LazyAttribute(lambda commitment: member_of(commitment.enterprise))
    accepted_at = factory.LazyFunction(lambda: _now())
    subject_kind = "approval_item"
    subject_ref = factory.Sequence(lambda n: f"approvals.item:{n}")
    verify_what = "现场核查生产条件是否与承诺一致"
    verify_by = factory.LazyFunction(lambda: _now(days=30))
    department = factory.LazyFunction(lambda: department("market"))


def _now(days: int = 0):
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now() + timedelta(days=days)


def _notice(code: str):
    from credit.commitments.services import current_notice

    return current_notice(code)
