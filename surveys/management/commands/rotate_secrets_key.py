from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from msi_survey import encryption
from surveys.distribution.sending_account import SECRET_FIELDS, SendingAccount


class Command(BaseCommand):
    help = (
        "Encrypt every stored secret again with the first key of SECRETS_KEYS. Put the new key first and keep "
        "the old one after it while this runs; then the old key may go. Safe to run again."
    )

    def handle(self, *args, **options):
        rotated = 0
        try:
            with transaction.atomic():
                for account in SendingAccount.objects.select_for_update():
                    changed = []
                    for name in SECRET_FIELDS:
                        stored = getattr(account, f"{name}_encrypted")
                        if stored:
                            setattr(account, f"{name}_encrypted", encryption.rotate(stored))
                            changed.append(f"{name}_encrypted")
                    if changed:
                        account.save(update_fields=changed)
                        rotated += len(changed)
        except encryption.SecretsUnavailable as error:
            # Nothing was changed: the transaction is rolled back as a whole.
            raise CommandError(f"{error} Nothing was changed.") from error
        self.stdout.write(f"{rotated} secrets encrypted with the first key.")
