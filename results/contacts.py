"""Who to contact about the results: frozen into each published snapshot, like the commentary."""

from collections.abc import Sequence

from .models import Contact
from .snapshot import ContactBlock


def frozen_contacts() -> list[ContactBlock]:
    """Every contact as the snapshot keeps it: the regions' in the order of their names, the national last."""
    contacts = list(Contact.objects.select_related("region"))
    regional = sorted((c for c in contacts if c.region), key=lambda c: (c.region.name, c.order, c.name))  # type: ignore[union-attr]
    national = [c for c in contacts if not c.region]
    return [c.frozen() for c in [*regional, *national]]


def contacts_for_page(contacts: Sequence[ContactBlock], region_code: str = "") -> dict[str, list[ContactBlock]]:
    """
    The contacts a page lists: on a region's page its own first, then the
    other regions', then the national contact for everywhere else.
    """
    own = [c for c in contacts if region_code and c["region_code"] == region_code]
    others = [c for c in contacts if c["region_code"] and c["region_code"] != region_code]
    national = [c for c in contacts if not c["region_code"]]
    return {"own": own, "regions": others, "national": national}
