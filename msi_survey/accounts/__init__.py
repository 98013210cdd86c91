"""
Signing in: django-allauth's log-in with a second factor and single
sign-on, made to fit the site (adapters, forms), the limits on a signed-in
session (middleware) and the audit log of who signed in and what changed
(services, receivers), with the models of both (models.py) and the
failed-sign-in throttles (throttles.py). An installed app of its own.
"""
