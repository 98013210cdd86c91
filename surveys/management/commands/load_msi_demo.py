from django.core.management.base import BaseCommand

from surveys.demo import SLUG, invitation_links, load_demo
from surveys.demo_editions import load_editions, load_practice_round


class Command(BaseCommand):
    help = (
        "Create or refresh the MSI 2019 demo survey with generated answers that reproduce "
        "the published table. Safe to run again: existing accounts keep their passwords and sessions "
        "unless --reset-passwords. For development only: it prints passwords."
    )

    def add_arguments(self, parser):
        parser.add_argument("--links", type=int, default=0, metavar="N", help="print N unused invitation links")
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="give every demo account a new password (and sign it out everywhere)",
        )

    def handle(self, *args, links, reset_passwords, **options):
        loaded = load_demo(reset_passwords=reset_passwords)
        survey = loaded["survey"]
        self.stdout.write(
            f"Demo survey “{survey.title_sv}” ({SLUG}): {survey.participants.count()} participants, "
            f"{survey.responses.count()} responses "
            f"(added {loaded['participants']} participants, {loaded['responses']} responses)."
        )
        second = load_editions(survey)
        self.stdout.write(f"Second edition, example data: “{second.title_sv}” ({second.slug}), published.")
        practice = load_practice_round(second)
        self.stdout.write(
            f"Open now, to try it out: “{practice.title_sv}” ({practice.slug}), "
            f"{practice.participants.count()} participants."
        )
        self.stdout.write("Accounts for development:")
        for username, password, role in loaded["accounts"]:
            shown = password or "(unchanged)"
            self.stdout.write(f"  {username:18} {shown:14} {role}")
        if not all(password for _username, password, _role in loaded["accounts"]):
            self.stdout.write(
                "Forgot a password? `python manage.py load_msi_demo --reset-passwords` gives every demo account "
                "a new one (and signs it out)."
            )
        if links:
            self.stdout.write("Unused invitation links:")
            for link in invitation_links(practice, links):
                self.stdout.write(f"  {link}")
