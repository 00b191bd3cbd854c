"""Webhooks: partners' systems told what happened, signed, retried, recorded.

The top layer (beside dashboards): it reads the outbox (`qinqing.events`) and the users'
scopes; nothing imports it. See docs/architecture.md, "Events and webhooks".
"""
