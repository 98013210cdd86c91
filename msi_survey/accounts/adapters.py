"""allauth made to fit: nobody signs up, by password or by single sign-on."""

import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Staff create every lead's account and decide who leads which region.
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        # Someone led to set up their first second factor right after signing
        # in is not asked for their password again; changing or removing one
        # later is.
        request = self.request
        if app == "allauth.mfa" and request is not None and not is_mfa_enabled(request.user):
            records = get_authentication_records(request, request.user)
            if records and time.time() - records[-1]["at"] < account_settings.REAUTHENTICATION_TIMEOUT:
                return False
        return super().is_reauthentication_required(app=app, **kwargs)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        # An identity provider vouches for a person, never gives them access:
        # only someone matched to an existing account gets in.
        return False
