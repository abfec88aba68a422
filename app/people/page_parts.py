"""What the people pages share: the words for roles and governance roles, the form's labels, the
form's choices, and a refused form shown again. Used by app/people/pages.py (the list, adding
someone) and app/people/person_pages.py (one person), which pages.py includes: kept here so that
neither imports the other's module for them.
"""

from typing import Any

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import FormData

from app.auth.actor import Actor
from app.auth.permissions import Role
from app.core.deps import Session
from app.core.errors import DomainError
from app.core.schemas import PageParams
from app.people import schools as schools_service
from app.people import service
from app.people.governance import GovernanceRole
from app.web import forms, pages

ROLE_WORDS = {
    "ceo": "Chief Executive",
    "coo": "Chief Operating Officer",
    "chair": "Chair of Trustees",
    "vice_chair": "Vice Chair of Trustees",
    "finance_director": "Director of Finance and Governance",
    "hr_director": "HR Director",
    "headteacher": "Headteacher",
    "governance_admin": "Governance clerk",
    "auditor": "Auditor",
}
# What ticking a role lets the person do, beside its checkbox.
ROLE_HINTS = {
    "ceo": "decides hospitality, runs conflict checks",
    "coo": "decides hospitality, reviews paid work, runs conflict checks",
    "chair": "decides the Chief Executive's requests, runs conflict checks",
    "vice_chair": "decides when the Chair cannot",
    "finance_director": "decides gifts, runs conflict checks, keeps related party transactions",
    "hr_director": "decides gifts",
    "headteacher": "reviews the paid work of their school's staff, sees their school's people",
    "governance_admin": "keeps the register, the people and the settings",
    "auditor": "reads everything, changes nothing",
}
GOVERNANCE_WORDS = {
    "member": "Member",
    "trustee": "Trustee",
    "local_governor": "Local governor",
    "accounting_officer": "Accounting officer",
    "staff": "Staff",
}
# The form's words for the schemas' fields, so that a refusal reads as the form does.
LABELS = {
    "email": "Email address",
    "full_name": "Full name",
    "job_title": "Job title",
    "school_id": "School",
    "roles": "Responsibilities",
    "governance_roles": "Governance roles",
    "password": "Password",
    "governance_role": "Governance role",
    "body": "Board or committee",
    "appointed_by": "Appointed by",
    "appointed_on": "Appointed on",
    "term_ends_on": "Term ends on",
    "stepped_down_on": "Stepped down on",
}
# Field names rewritten in the service's messages: not "email", an everyday word in them already
# ("an email address is a name, an @ and a domain").
IN_MESSAGES = {name: words for name, words in LABELS.items() if name != "email"}
MISSING = {"full_name": "Enter their full name", "email": "Enter their email address"}


def words() -> dict[str, Any]:
    return {"role_words": ROLE_WORDS, "governance_words": GOVERNANCE_WORDS}


async def school_names(session: Session) -> dict[str, str]:
    """The trust's schools by id, in name order (a trust has tens of them, not thousands)."""
    found, _ = await schools_service.list_schools(session, PageParams(limit=200))
    return {str(school.id): school.name for school in found}


async def form_context(session: Session) -> dict[str, Any]:
    schools = await school_names(session)
    return {
        **words(),
        "school_names": schools,
        "school_choices": list(schools.items()),
        "role_choices": [(r.value, ROLE_WORDS[r.value], ROLE_HINTS[r.value]) for r in Role],
        "governance_choices": [(g.value, GOVERNANCE_WORDS[g.value]) for g in GovernanceRole],
        "chosen": {"roles": [], "governance_roles": []},
    }


async def refused(
    request: Request,
    session: Session,
    actor: Actor,
    template: str,
    errors: dict[str, str],
    *,
    status: int,
    **context: Any,
) -> forms.FormRejected:
    """The page again with these errors (raised, so the request's transaction rolls back)."""
    trust = await pages.trust_name(session)
    response = pages.render(
        request, template, actor=actor, trust=trust, status=status, errors=errors, **context
    )
    return forms.FormRejected(response)


def status_of(error: ValidationError | DomainError) -> int:
    return error.status if isinstance(error, DomainError) else 422


def chosen(form: FormData) -> dict[str, list[str]]:
    """The ticked boxes of the two groups (a form sends one field per ticked box)."""
    return {name: [str(v) for v in form.getlist(name)] for name in ("roles", "governance_roles")}


def form_errors(error: ValidationError | DomainError, given: dict[str, str]) -> dict[str, str]:
    """The refusal in the form's words: an empty field needed, or an email someone already has."""
    errors = forms.field_errors(error, IN_MESSAGES)
    if isinstance(error, DomainError) and error.detail == service.EMAIL_TAKEN:
        errors = {"email": "Someone on the register already has this email address"}
    empty = [name for name in MISSING if name in errors and not given.get(name, "").strip()]
    errors.update({name: MISSING[name] for name in empty})
    return errors
