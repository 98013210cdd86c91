"""allauth made to fit: nobody signs up, by password or by single sign-on."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter

from msi_survey.http import client_address


class AccountAdapter(DefaultAccountAdapter):
    # Setting up, changing or removing a second factor always asks for the
    # password again (allauth's reauthentication), also for the first one
    # right after signing in, and the owner hears of it by email
    # (ACCOUNT_EMAIL_NOTIFICATIONS).

    def is_open_for_signup(self, request):
        # Staff create every lead's account and decide who leads which region.
        return False

    def get_client_ip(self, request):
        # The address as the rest of the site sees it: behind TRUSTED_PROXIES, the client's.
        return client_address(request) or super().get_client_ip(request)

    def send_mail(self, template_prefix, email, context_data):
        # allauth sends some notices once the transaction commits, which may
        # be after its request context has closed: lend it ours.
        if context.request is None and self.request is not None:
            with context.request_context(self.request):
                return super().send_mail(template_prefix, email, context_data)
        return super().send_mail(template_prefix, email, context_data)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        # An identity provider vouches for a person, never gives them access:
        # only someone matched to an existing account gets in.
        return False
