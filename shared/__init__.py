"""The clinic's domain: models, storage, booking rules, availability, calendars and mail.

Nothing in this package imports Flask: both services and the CLI build on it.
"""
