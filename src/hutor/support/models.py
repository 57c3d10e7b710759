"""The support center's tables: departments, tickets, their messages and attachments.

Written only by hutor.support.actions. A ticket belongs to a billing account, or to nobody yet
when it came from an unknown sender (staff attach it later); its status changes only through
actions.transition(). Attachments live as files under HUTOR_SUPPORT_FILES_DIR (files.py), the
rows here say where and what they are.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")  # opened, nobody from staff has answered yet
    WAITING_STAFF = "waiting_staff", _("Waiting for staff")  # the customer wrote last
    WAITING_CUSTOMER = "waiting_customer", _("Waiting for customer")  # staff answered last
    CLOSED = "closed", pgettext_lazy("ticket", "Closed")  # solved; a new message reopens it


OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.WAITING_STAFF, TicketStatus.WAITING_CUSTOMER)


class TicketPriority(models.TextChoices):
    # The SLA targets of each priority are in settings.HUTOR_SUPPORT_SLA_HOURS.
    LOW = "low", pgettext_lazy("priority", "Low")
    NORMAL = "normal", pgettext_lazy("priority", "Normal")
    HIGH = "high", pgettext_lazy("priority", "High")
    URGENT = "urgent", pgettext_lazy("priority", "Urgent")


class MessageKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")  # from the panel or by email
    STAFF = "staff", _("Staff reply")  # shown to the customer and emailed
    NOTE = "note", _("Internal note")  # staff only: never shown or mailed to the customer


class Department(models.Model):
    """Where a ticket goes (billing, technical support...): rows staff configure in the admin."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name_ru = models.CharField(_("name in Russian"), max_length=100)
    name_en = models.CharField(_("name in English"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("offered to customers"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "ru").startswith("en") else self.name_ru


class Ticket(models.Model):
    number = models.CharField(_("number"), max_length=16, unique=True)
    subject = models.CharField(_("subject"), max_length=200)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="tickets"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=TicketPriority.choices, default=TicketPriority.NORMAL
    )
    billing_account = models.ForeignKey(
        "accounts.BillingAccount",
        verbose_name=_("billing account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    service = models.ForeignKey(
        "services.Service",
        verbose_name=_("service"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    # The sender's address when the ticket came by email from an address that is not the
    # account's (an unknown sender, perhaps attached to an account later): replies go there.
    email = models.EmailField(_("email"), blank=True)
    # False when the ticket was put on an account by a number the sender quoted (or attached
    # by staff) and the sender is not that account's contact: staff verify before disclosing.
    sender_verified = models.BooleanField(_("sender verified"), default=True)
    # Set when the ticket was merged into another: its messages are there, its number leads there.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged",
    )
    language = models.CharField(_("language"), max_length=8, default=settings.LANGUAGE_CODE)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"))
    first_replied_at = models.DateTimeField(_("first reply at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # SLA targets, fixed when the ticket opens (or its priority changes): a later change of the
    # settings does not move the deadlines of tickets already promised.
    first_reply_due = models.DateTimeField(_("first reply due"))
    resolution_due = models.DateTimeField(_("resolution due"))

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["status", "department"])]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def is_closed(self) -> bool:
        return self.status == TicketStatus.CLOSED

    @property
    def reply_to(self) -> str:
        """The address replies go to: the sender's, when the ticket came from an address other
        than the account's (attaching or verifying does not change it: the answer goes to who
        asked), else the account's contact email."""
        if self.email:
            return self.email
        if self.billing_account_id is not None and self.billing_account is not None:
            return self.billing_account.contact_email
        return ""

    @property
    def needs_account_check(self) -> bool:
        """No account yet, or one the sender is not verified for: the desk offers to attach."""
        return self.billing_account_id is None or not self.sender_verified

    @property
    def root_message_id(self) -> str:
        """The Message-ID every email of the ticket refers to (References), as its thread root."""
        return f"<ticket-{self.number}@hutor>"


class TicketMessage(models.Model):
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"))
    # The Message-ID of the email this message came in (inbound.py): unique, so an email read
    # twice from the mailbox adds one message; empty for messages from the panel or the desk.
    email_message_id = models.CharField(
        _("email Message-ID"), max_length=250, null=True, blank=True, unique=True
    )

    class Meta:
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket.number} {self.kind} {self.pk}"


class Attachment(models.Model):
    """A file attached to a message; the bytes are in the support storage (files.py)."""

    message = models.ForeignKey(
        TicketMessage,
        verbose_name=_("message"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file_name = models.CharField(_("file name"), max_length=200)
    # The path inside the support storage: random, never derived from what the sender typed.
    path = models.CharField(_("path"), max_length=200, unique=True)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size, bytes"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.file_name


class CannedAnswer(models.Model):
    """A ready answer support inserts into a reply, with placeholders filled in for the ticket
    (canned.PLACEHOLDERS); written at the desk."""

    title = models.CharField(_("title"), max_length=120)
    text_ru = models.TextField(_("text in Russian"))
    text_en = models.TextField(_("text in English"))
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="canned_answers",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("canned answer")
        verbose_name_plural = _("canned answers")
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title
