"""The emails themselves: Jinja2 templates in plain text and HTML, in plain English, with a link to
where the person acts and nothing private (email is not a safe channel: no interest, gift or
hospitality detail beyond its kind and the requester's name)."""

from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.core.settings import get_settings
from app.notifications.schemas import NotificationKind

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


@lru_cache
def _environment() -> Environment:
    # Autoescape for the HTML part (a name with "<" in it stays text); the plain-text part as typed.
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render(kind: NotificationKind, subject: str, *, trust_name: str, **context: Any) -> Email:
    """The subject, the plain-text part and the HTML part of one email of this kind, from the trust
    named (as set through the trust's settings; the caller reads it in its own transaction)."""
    values = {**context, "subject": subject, "trust_name": trust_name or "your trust"}
    environment = _environment()
    text = environment.get_template(f"{kind.value}.txt").render(values)
    html = environment.get_template(f"{kind.value}.html").render(values)
    return Email(subject, text, html)


def link(path: str) -> str:
    """An address under PROBITY_BASE_URL."""
    return get_settings().base_url + path


def message_id(notification_id: object) -> str:
    """A Message-ID of the notification's own, so that every send of it is the same message."""
    domain = parseaddr(get_settings().mail_from)[1].rpartition("@")[2] or "probity.invalid"
    return f"<{notification_id}@{domain}>"


def message(*, to: str, subject: str, text: str, html: str, message_id: str, created_at: datetime) -> bytes:
    """The MIME message as sent: multipart/alternative, plain text first, HTML second, dated when the
    notification was made, so that a resend carries the same Message-ID and Date. Built with the
    email package's compat32 classes: EmailMessage's content manager and aiosmtplib's flattening of
    it took over 2 ms a message here, most of the sender's own cost (bench/notifications.py)."""
    email = MIMEMultipart("alternative")
    for name, value in (
        ("To", to), ("Subject", subject), ("Message-ID", message_id), ("Date", format_datetime(created_at)),
        ("Auto-Submitted", "auto-generated"),  # RFC 3834: no out-of-office replies, please
    ):  # fmt: skip
        if "\r" in value or "\n" in value:
            raise ValueError(f"a line break in the {name} header")
        email[name] = value if value.isascii() else Header(value, "utf-8").encode()
    email["From"] = sender()
    email.attach(_part(text, "plain"))
    email.attach(_part(html, "html"))
    return email.as_bytes()


def _part(body: str, subtype: str) -> MIMEText:
    # Plain ASCII travels as it is (7bit, readable in any mail log); anything else as UTF-8.
    return MIMEText(body, subtype, "us-ascii" if body.isascii() else "utf-8")


def sender() -> str:
    """The From header: PROBITY_MAIL_FROM's display name (encoded when beyond ASCII, never its
    address) and its address."""
    return formataddr(parseaddr(get_settings().mail_from), charset="utf-8")


def envelope_sender() -> str:
    """The address in PROBITY_MAIL_FROM, for SMTP's MAIL FROM."""
    return parseaddr(get_settings().mail_from)[1] or get_settings().mail_from
