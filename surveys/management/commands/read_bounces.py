from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from surveys.distribution.bounces import Outcome
from surveys.distribution.mailbox import MailboxError, read_bounces_once

LABELS = {
    Outcome.BOUNCED: gettext_lazy("bounced"),
    Outcome.DELAYED: gettext_lazy("delay notices recorded"),
    Outcome.ALREADY: gettext_lazy("read before (nothing changed)"),
    Outcome.EARLIER_SEND: gettext_lazy("about an address since corrected (nothing changed)"),
    Outcome.AUTO_REPLY: gettext_lazy("auto-replies (no bounce)"),
    Outcome.FORGED: gettext_lazy("forged return addresses (refused)"),
    Outcome.UNMATCHED: gettext_lazy("bounce reports about no email of ours"),
    Outcome.NOT_A_REPORT: gettext_lazy("no bounce report"),
}


class Command(BaseCommand):
    help = (
        "Read the bounce mailbox (BOUNCE_IMAP_HOST) once, as the periodic sweep does: mark the emails that "
        "bounced and move every message read to the processed or the unmatched folder. Safe to run at any time."
    )

    def handle(self, *args, **options):
        if not settings.BOUNCE_IMAP_HOST:
            raise CommandError(_("No bounce mailbox is set up: set BOUNCE_IMAP_HOST (see the README)."))
        try:
            report = read_bounces_once()
        except MailboxError as error:
            raise CommandError(_("The bounce mailbox could not be read: %(error)s") % {"error": error}) from None
        if report.skipped_locked:
            self.stdout.write(_("Another process is reading the bounce mailbox right now; nothing was read."))
            return
        if not report.read:
            self.stdout.write(_("No new messages in the bounce mailbox."))
            return
        for outcome, count in sorted(report.outcomes.items()):
            self.stdout.write(f"{LABELS.get(outcome, outcome)}: {count}")
        self.stdout.write(_("%(n)d messages read and moved.") % {"n": report.moved})
