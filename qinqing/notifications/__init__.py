"""In-app and e-mail notifications: any app tells people what happened to their things.

The lowest layer: it knows users, never enterprises or claims. Callers decide who should
hear about what (subsidies/notifications.py) and call `services.notify`.
"""
