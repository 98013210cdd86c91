from django.contrib import admin, messages
from django.db import models
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from surveys.admin import ReadOnlyAdmin

from . import numbers
from .comments.services import moderate
from .models import Comment, Commentary, Contact, Snapshot


@admin.register(Commentary)
class CommentaryAdmin(admin.ModelAdmin):
    list_display = ["survey", "order", "kind", "heading_sv", "speaker"]
    list_filter = ["survey", "kind"]
    list_editable = ["order"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    """Published versions are a record: readable, never changed or removed; withdrawn on the site's own page."""

    list_display = ["survey", "version", "published_at", "published_by", "withdrawn_at", "withdraw_link"]
    list_filter = ["survey", ("withdrawn_at", admin.EmptyFieldListFilter)]
    readonly_fields = [
        "survey", "version", "published_at", "published_by", "withdrawn_at", "withdrawn_by", "withdrawal_reason",
        "withdraw_link", "results_table",
    ]  # fmt: skip
    exclude = ["data"]

    @admin.display(description=_("results as published"))
    def results_table(self, obj):
        """The national table of the version as visitors read it, and a link to its page; not the raw data."""
        national = obj.data.get("national", {})
        link = format_html(
            '<p><a href="{}">{}</a></p>',
            reverse("results:version", args=[obj.survey.slug, obj.version]),
            _("The version's page"),
        )
        summary = format_html(
            "<p>{}</p>",
            _("%(n)s answers of %(invited)s invited.") % {"n": national.get("n"), "invited": national.get("invited")},
        )
        if not national.get("areas"):
            return link + summary
        rows = format_html_join(
            "",
            '<tr><td class="text-end">{}</td><th scope="row">{}</th><td class="text-end">{}</td>'
            '<td class="text-end">{}</td></tr>',
            (
                (row["rank"], row["title_sv"], row["points"], numbers.one_decimal(row["share"]) + " %")
                for row in national["areas"]
            ),
        )
        head = format_html(
            '<table><thead><tr><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th>'
            '<th scope="col">{}</th></tr></thead><tbody>',
            _("Place"),
            _("Area"),
            _("Points"),
            _("Share of points"),
        )
        return link + summary + head + rows + mark_safe("</tbody></table>")  # noqa: S308 - our own closing tags

    @admin.display(description=_("withdraw"))
    def withdraw_link(self, obj):
        if obj.withdrawn_at is not None:
            return "–"
        url = reverse("results:withdraw", args=[obj.survey.slug, obj.version])
        return format_html('<a href="{}">{}</a>', url, _("Withdraw…"))

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    """Who readers may contact, per region and nationally; in the results from the next publication."""

    list_display = ["name", "region", "email", "phone", "order"]
    list_filter = ["region"]
    list_editable = ["order"]


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    """
    The moderation list: waiting comments first, their text as plain text
    (links are not clickable here), with actions to approve, reject or remove.
    """

    list_display = ["created_at", "name", "text", "status", "proof_of_work", "survey"]
    list_filter = ["status", "survey", "proof_of_work"]
    search_fields = ["name", "body"]
    date_hierarchy = "created_at"
    actions = ["approve", "reject", "remove"]
    fields = ["survey", "name", "email", "plain_body", "status", "proof_of_work", "is_example", "created_at",
              "moderated_at", "moderated_by", "address_confirmed_at", "staff_notified_at"]  # fmt: skip
    readonly_fields = ["survey", "name", "email", "plain_body", "status", "proof_of_work", "is_example", "created_at",
                       "moderated_at", "moderated_by", "address_confirmed_at", "staff_notified_at"]  # fmt: skip

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("survey")

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("comment"))
    def text(self, comment: Comment) -> str:
        return Truncator(comment.body).chars(300)

    @admin.display(description=_("comment"))
    def plain_body(self, comment: Comment) -> str:
        return format_html('<div class="comment-plain">{}</div>', linebreaksbr(comment.body))

    def _moderate(self, request, queryset, status: str) -> None:
        changed = moderate(comments=queryset, status=status, user=request.user)
        done = {
            Comment.Status.APPROVED: ngettext("%(n)d comment approved.", "%(n)d comments approved.", changed),
            Comment.Status.REJECTED: ngettext("%(n)d comment rejected.", "%(n)d comments rejected.", changed),
            Comment.Status.REMOVED: ngettext("%(n)d comment removed.", "%(n)d comments removed.", changed),
        }[Comment.Status(status)]
        self.message_user(request, done % {"n": changed}, messages.SUCCESS)

    @admin.action(description=_("Approve the selected comments (they show at once)"), permissions=["change"])
    def approve(self, request, queryset):
        self._moderate(request, queryset, Comment.Status.APPROVED)

    @admin.action(description=_("Reject the selected comments"), permissions=["change"])
    def reject(self, request, queryset):
        self._moderate(request, queryset, Comment.Status.REJECTED)

    @admin.action(description=_("Remove the selected comments from the results pages"), permissions=["change"])
    def remove(self, request, queryset):
        self._moderate(request, queryset, Comment.Status.REMOVED)
