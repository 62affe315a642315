"""The rules intake holds a registered enquiry to, kept by the form before anything is sent.

Intake refuses an online enquiry that breaks one of them (its triage, 5.1.6, 5.1.12), and a
refused message is a dead letter the applicant never hears of. The form holds the applicant
to the same rules first, in the contract's words (`InitialContactDetails.RULES`, published
as `x-rules`), and says what to do about each in plain words beside its field. A service
never imports another's package, so the rules are read from schemas here; a test holds them
to intake's own triage.
"""

from __future__ import annotations

from schemas.intake import (
    CONSENT_ASKED,
    NOT_TO_CONTACT,
    SAFE_CONTACT,
    SHARING_EXPLAINED,
    InitialContactDetails,
)


def broken_rules(details: InitialContactDetails) -> list[tuple[str, str]]:
    """Every rule of a registered enquiry that `details` breaks, as (field, rule), in order.

    Intake stops at the first; the form shows them all at once.
    """
    if details.redirect_to is not None or details.anonymous or not details.children_identified:
        return []  # the rules hold "unless redirected, anonymous or with no identified child"
    broken: list[tuple[str, str]] = []
    # 5.1.6: how, where and when it is safe to make contact, and where not.
    if details.contact is None:
        broken.append(("contact", SAFE_CONTACT))
    elif not details.contact.not_to_contact:
        broken.append(("contact.not_to_contact", NOT_TO_CONTACT))
    # 5.1.12: consent is asked, and it is explained that sharing may happen without it.
    if details.consent is None:
        broken.append(("consent", CONSENT_ASKED))
    elif not details.consent.told_sharing_may_happen_without_consent:
        broken.append(("consent.told_sharing_may_happen_without_consent", SHARING_EXPLAINED))
    return broken
