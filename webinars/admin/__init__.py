"""The organiser admin of the core domain, one module per area.

Importing the area modules registers their ModelAdmins (Django's autodiscovery imports
this package): seminars, the catalogue around them (speakers, series, topics, audience
types), registrations, recordings, follows.
"""

from webinars.admin import catalogue, follows, recordings, registrations, seminars

__all__ = ["catalogue", "follows", "recordings", "registrations", "seminars"]
