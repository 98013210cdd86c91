"""allauth made to fit: nobody signs up, by password or by single sign-on."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Staff create every lead's account and decide who leads which region.
        return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        # An identity provider vouches for a person, never gives them access:
        # only someone matched to an existing account gets in.
        return False
