"""The labels of surveys/distribution/labels.py for templates: {% load distribution %}."""

from django import template

from surveys.distribution import labels

register = template.Library()

register.filter("participant_status", labels.participant_status)
register.filter("wave_label", labels.wave_label)
register.filter("email_status_label", labels.email_status_label)
register.filter("bounce_reason_label", labels.bounce_reason_label)
