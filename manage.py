#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msi_survey.settings")
    if not os.environ.get("SECRET_KEY") and not os.environ.get("DEBUG") and not os.environ.get("LOCAL_DEMO"):
        # Nothing configured at all: a developer's checkout, so run as `make
        # run` does. Production sets SECRET_KEY, and then this never applies.
        os.environ["LOCAL_DEMO"] = "true"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
