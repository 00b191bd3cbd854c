"""Partner systems: OAuth2 client-credentials clients bound to a department or an
enterprise, allowed by scope and rate-limited per client. See docs/api.md, "Partner
systems (OAuth2)"."""
