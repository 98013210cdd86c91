import gettext
import re
import shutil
import subprocess
from pathlib import Path

from django.utils import translation

from .conftest import need

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "sv" / "LC_MESSAGES"


def test_the_compiled_swedish_catalogue_matches_its_source(tmp_path):
    need(shutil.which("msgfmt") is not None, "msgfmt (Debian package gettext)")
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(LOCALE / "django.po")], check=True)
    with open(fresh, "rb") as new, open(LOCALE / "django.mo", "rb") as committed:
        assert gettext.GNUTranslations(committed)._catalog == gettext.GNUTranslations(new)._catalog, (
            "locale/sv/LC_MESSAGES/django.mo is out of date: run `make messages`"
        )


def test_nothing_is_left_untranslated():
    text = (LOCALE / "django.po").read_text()
    entries = [e for e in text.split("\n\n")[1:] if not e.lstrip().startswith("#~")]
    # An empty msgstr with no continuation line is an entry nobody translated.
    untranslated = [e for e in entries if re.search(r'^msgstr(\[\d\])? ""$(?!\n")', e + "\n", re.MULTILINE)]
    fuzzy = [e for e in entries if "#, fuzzy" in e]
    assert untranslated == []
    assert fuzzy == []


def test_swedish_is_the_default():
    with translation.override("sv"):
        assert translation.gettext("Send my answer") == "Skicka mitt svar"
