"""A lead imports a participant list: upload, review every row, confirm; and the same from the command line."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from surveys.models import Participant, ParticipantImport

from .conftest import make_participant, make_region

EXCEL_CSV = (
    "E-post;Namn;Organisation;Nivå\r\n"
    "asa.ek@lulea.example.se;Åsa Ek;Luleå kommun;kommun\r\n"
    "bo@pitea.example.se;Bo Ström;Piteå kommun;Kommun\r\n"
    "inte-en-adress;Trasig Rad;Någonstans;kommun\r\n"
    "BO@pitea.example.se;Bo Igen;Piteå kommun;kommun\r\n"
    "finns@redan.example.se;Redan Med;Kiruna kommun;region\r\n"
    "ny@region.example.se;Ny Person;Region Norrbotten;landskap\r\n"
    "lisa@region.example.se;Lisa Berg;Region Norrbotten;Landsting\r\n"
).encode("cp1252")


@pytest.fixture
def lead(survey):
    region = make_region()
    user = User.objects.create_user("alice", "alice@ltu.example.se", "x")
    region.leads.add(user)
    make_participant(survey, region=region, email="finns@redan.example.se")
    return user, region


def upload(client, survey, region, content, name="deltagare.csv"):
    return client.post(
        reverse("lead:import", args=[survey.slug, region.code]),
        {"file": SimpleUploadedFile(name, content, content_type="text/csv")},
    )


def test_a_windows_1252_semicolon_file_is_previewed_then_confirmed(client, survey, lead):
    user, region = lead
    client.force_login(user)
    response = upload(client, survey, region, EXCEL_CSV)
    assert response.status_code == 302
    checked = ParticipantImport.objects.get()
    assert response.url == reverse("lead:import_preview", args=[survey.slug, region.code, checked.pk])
    # Nothing is written before the lead confirms.
    assert Participant.objects.count() == 1

    page = client.get(response.url).content.decode()
    assert "asa.ek@lulea.example.se" in page and "Åsa Ek" in page
    for reason in ("inte-en-adress", "Dubblett av rad 3", "redan med i enkäten"):
        assert reason in page, reason
    # A level not understood costs no invitation: the row stays, its level empty, with a note for the lead.
    assert "Nivån ”landskap” förstods inte" in page
    assert "1 rad läggs till med en anmärkning" in page
    assert "Rad 7 (ny@region.example.se)" in page
    assert len(checked.valid_rows) == 4 and len(checked.rejected_rows) == 3

    response = client.post(response.url, {"confirm": "1"})
    assert response.status_code == 302
    assert sorted(Participant.objects.values_list("email", flat=True)) == [
        "asa.ek@lulea.example.se",
        "bo@pitea.example.se",
        "finns@redan.example.se",
        "lisa@region.example.se",
        "ny@region.example.se",
    ]
    asa = Participant.objects.get(email="asa.ek@lulea.example.se")
    assert (asa.name, asa.organisation, asa.level, asa.region) == ("Åsa Ek", "Luleå kommun", "kommun", region)
    assert Participant.objects.get(email="ny@region.example.se").level == ""
    assert Participant.objects.get(email="lisa@region.example.se").level == "region"
    # A double click on confirm adds nothing more.
    client.post(reverse("lead:import_preview", args=[survey.slug, region.code, checked.pk]), {"confirm": "1"})
    assert Participant.objects.count() == 5


def test_cancelling_adds_nothing(client, survey, lead):
    user, region = lead
    client.force_login(user)
    response = upload(client, survey, region, EXCEL_CSV)
    client.post(response.url, {"cancel": "1"})
    assert Participant.objects.count() == 1
    assert ParticipantImport.objects.get().status == ParticipantImport.Status.CANCELLED
    client.post(response.url, {"confirm": "1"})
    assert Participant.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "tom.csv", "filen är tom"),
        (b"E-post;Namn\r\n", "rubriker.csv", "inga deltagare"),
        (b"Namn;Organisation\r\nAnna;Kommun\r\n", "lista.csv", "E-post"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "bild.csv", "gick inte att läsa"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "gammal.xls", ".xlsx"),
    ],
)
def test_an_unreadable_file_is_explained_and_nothing_is_kept(client, survey, lead, content, name, message):
    user, region = lead
    client.force_login(user)
    response = upload(client, survey, region, content, name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert ParticipantImport.objects.count() == 0
    assert Participant.objects.count() == 1


def test_a_workbook_too_dear_to_read_is_explained_in_swedish(client, survey, lead):
    from .test_imports import crafted_xlsx

    user, region = lead
    client.force_login(user)
    data = crafted_xlsx(shared_strings=600_000)
    response = upload(client, survey, region, data, "lista.xlsx")
    assert response.status_code == 200
    assert "Kopiera deltagarkolumnerna till en ny arbetsbok" in response.content.decode()
    assert ParticipantImport.objects.count() == 0


def test_a_file_that_is_too_large(client, survey, lead, settings):
    user, region = lead
    client.force_login(user)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = upload(client, survey, region, b"E-post\n" + b"a@example.se\n" * 900_000)
    assert "för stor" in response.content.decode()
    assert ParticipantImport.objects.count() == 0


def test_the_command_prints_the_same_report(survey, lead, tmp_path):
    _, region = lead
    path = tmp_path / "lista.csv"
    path.write_bytes(EXCEL_CSV)
    out = io.StringIO()
    call_command("import_participants", survey.slug, region.code, str(path), "--dry-run", stdout=out)
    text = out.getvalue()
    assert "4 giltiga rader, 3 avvisade" in text
    assert "rad 4: inte-en-adress" in text
    assert "rad 7: ny@region.example.se: obs: Nivån ”landskap” förstods inte" in text
    assert Participant.objects.count() == 1
    out = io.StringIO()
    call_command("import_participants", survey.slug, region.code, str(path), stdout=out)
    assert "4 deltagare lades till" in out.getvalue()
    assert Participant.objects.count() == 5


def test_the_command_fails_on_an_unreadable_file(survey, lead, tmp_path):
    _, region = lead
    path = tmp_path / "trasig.csv"
    path.write_bytes(b"\x00\xff\x00\xfe" * 100)
    with pytest.raises(CommandError):
        call_command("import_participants", survey.slug, region.code, str(path))
    with pytest.raises(CommandError):
        call_command("import_participants", survey.slug, region.code, str(tmp_path / "finns-inte.csv"))
    with pytest.raises(CommandError):
        call_command("import_participants", survey.slug, "no-such-region", str(path))


def test_send_invitations_command_twice_sends_nothing_new(survey, lead):
    _, region = lead
    out = io.StringIO()
    call_command("send_invitations", survey.slug, stdout=out)
    assert "Totalt 1 inbjudningar" in out.getvalue()
    out = io.StringIO()
    call_command("send_invitations", survey.slug, "--region", region.code, stdout=out)
    assert "Inga nya inbjudningar" in out.getvalue()


def test_send_due_reminders_dry_run_queues_nothing(survey, lead):
    from surveys.models import OutgoingEmail

    out = io.StringIO()
    call_command("send_due_reminders", "--dry-run", stdout=out)
    assert OutgoingEmail.objects.count() == 0


def test_an_excel_file_is_imported(client, survey, lead):
    from openpyxl import Workbook

    user, region = lead
    client.force_login(user)
    book = Workbook()
    sheet = book.active
    sheet.append(["Email", "Name", "Organisation", "Level"])
    sheet.append(["eva@umea.example.se", "Eva Lund", "Umeå kommun", "Municipality"])
    sheet.append(["nils@region.example.se", None, "Region Västerbotten", "region"])
    data = io.BytesIO()
    book.save(data)
    response = upload(client, survey, region, data.getvalue(), "lista.xlsx")
    assert response.status_code == 302
    client.post(response.url, {"confirm": "1"})
    eva = Participant.objects.get(email="eva@umea.example.se")
    assert (eva.name, eva.level) == ("Eva Lund", "kommun")
    assert Participant.objects.get(email="nils@region.example.se").level == "region"


def test_an_address_in_another_region_is_refused_without_saying_where(client, survey, lead):
    user, region = lead
    elsewhere = make_region("skane", "Skåne")
    make_participant(survey, region=elsewhere, email="sven@malmo.example.se")
    client.force_login(user)
    response = upload(client, survey, region, b"email;name\nsven@malmo.example.se;Sven\nny@lulea.example.se;Ny\n")
    page = client.get(response.url).content.decode()
    assert "kan inte läggas till här" in page and "fråga en medarbetare" in page
    assert "redan med i enkäten" not in page and "Skåne" not in page
    # Added by hand: the same answer, and the other region keeps its person.
    add = client.post(
        reverse("lead:participant_add", args=[survey.slug, region.code]), {"email": "SVEN@malmo.example.se"}
    )
    text = add.content.decode()
    assert "kan inte läggas till här" in text and "redan med i enkäten" not in text
    assert Participant.objects.get(email="sven@malmo.example.se").region == elsewhere
