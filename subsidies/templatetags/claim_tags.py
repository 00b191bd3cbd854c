"""The claim page's explanation, read once per render (subsidies.selectors)."""

from django import template

from subsidies.models import Claim
from subsidies.selectors import ClaimExplanation, claim_explanation

register = template.Library()


@register.simple_tag
def claim_explained(claim: Claim) -> ClaimExplanation:
    """`{% claim_explained claim as explained %}`: criteria with their source and read
    time, the amount's formula in words, and for an ineligible claim what to do next."""
    return claim_explanation(claim)
