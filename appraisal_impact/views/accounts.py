"""Accounts: your own account and password; for administrators, users (invite, change role, deactivate,
send a password-reset link) and the sign-in record. Links sent by email are one-time and expire."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from .. import queries
from ..audit import EditConflict, actor_for, apply_changes, record, record_created
from ..auth import limiter, now, record_sign_in_event, roles_required, start_session, token_hash
from ..db import get_session
from ..mail import MailNotSent, send_mail
from ..models import ROLE_LABELS, AccountLink, Role, Trust, User
from ..passwords import check_password, hash_password, password_problem
from ..queries import accounts as account_queries
from ..web import current_actor, external_url, get_or_404, public

bp = Blueprint("accounts", __name__)

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME_MAX = 200


@bp.after_request
def _no_store(response):
    """Account pages (and the one-time links) are never kept by a browser or proxy cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


@dataclass
class FormErrors:
    """Errors as (field id, message) pairs, in the order the fields appear."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, field_id: str, message: str) -> None:
        self.items.append((field_id, message))

    def for_field(self, field_id: str) -> str | None:
        return next((message for fid, message in self.items if fid == field_id), None)

    def __bool__(self) -> bool:
        return bool(self.items)


def _min_length() -> int:
    return current_app.config["PASSWORD_MIN_LENGTH"]


def _check_new_password(errors: FormErrors, password: str, confirm: str, user: User) -> None:
    problem = password_problem(password, min_length=_min_length(), email=user.email, name=user.name)
    if not password:
        errors.add("new_password", "Enter a new password")
    elif problem:
        errors.add("new_password", problem)
    elif password != confirm:
        errors.add("confirm_password", "The two passwords are not the same")


def set_password(user: User, password: str, how: str) -> None:
    """Give `user` a new password: every session they had ends, every unused link stops working. The caller commits."""
    db = get_session()
    moment = now()
    user.password_hash = hash_password(password)
    user.password_changed_at = moment
    db.add(user)
    account_queries.end_sign_in_sessions(session=db, user_id=user.id, at=moment, reason="password changed")
    account_queries.retire_account_links(session=db, user_id=user.id, at=moment)
    actor = current_actor() if current_user.is_authenticated else actor_for(user)
    record(db, actor, user, "update", "password", "", how)  # never the hash


# --- your own account ---------------------------------------------------------------------------------


@bp.route("/account")
def own_account():
    """Your account: who you are here, your recent sign-ins, and a way to change your password."""
    db = get_session()
    trust = db.get(Trust, current_user.trust_id) if current_user.trust_id else None
    events = account_queries.recent_sign_in_events(session=db, user_id=current_user.id, limit=10)
    return render_template("accounts/own.html", trust=trust, events=events, role_labels=ROLE_LABELS)


def _own_user_key() -> str:
    return f"password-change:{current_user.id}"


@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGN_IN_LIMIT_PER_ACCOUNT"], key_func=_own_user_key, methods=["POST"],
               deduct_when=lambda _response: bool(g.get("wrong_current_password")), scope="password-change")
def change_password():
    """Change your own password (you stay signed in here; every other session of yours ends)."""
    errors = FormErrors()
    if request.method == "POST":
        db = get_session()
        user = db.get(User, current_user.id)
        current_password = request.form.get("current_password", "")
        new_password = request.form.get("new_password", "")
        if not current_password:
            errors.add("current_password", "Enter your current password")
        elif not check_password(user.password_hash, current_password):
            g.wrong_current_password = True
            errors.add("current_password", "Your current password is not right")
        _check_new_password(errors, new_password, request.form.get("confirm_password", ""), user)
        if not errors:
            set_password(user, new_password, "changed by the user")
            db.commit()
            start_session(user)  # a fresh session: the one this page was opened in ended with the change
            record_sign_in_event("password changed", email=user.email, user=user)
            flash("Your password has been changed. You have been signed out everywhere else.")
            return redirect(url_for("accounts.own_account"))
    return render_template("accounts/change_password.html", errors=errors, error_title=bool(errors),
                           min_length=_min_length()), 400 if errors else 200


# --- links sent by email (invitations and password resets) ---------------------------------------------


def _usable_link(token: str) -> AccountLink | None:
    if not token or len(token) > 100:
        return None
    link = account_queries.account_link_by_hash(session=get_session(), token_hash=token_hash(token))
    if link is None or link.used_at is not None or link.expires_at <= now():
        return None
    return link


@bp.route("/account/set-password/<token>", methods=["GET", "POST"])
@public
def set_password_from_link(token: str):
    """Set a password from an invitation or reset link (works once, until it expires)."""
    link = _usable_link(token)
    if link is None:
        return render_template("accounts/link_unusable.html"), 410
    db = get_session()
    user = db.get(User, link.user_id)
    if user is None or not user.active:
        return render_template("accounts/link_unusable.html"), 410
    errors = FormErrors()
    if request.method == "POST":
        new_password = request.form.get("new_password", "")
        _check_new_password(errors, new_password, request.form.get("confirm_password", ""), user)
        if not errors:
            set_password(user, new_password, "set from an invitation link" if link.purpose == "invite" else "set from a reset link")
            link.used_at = now()
            db.add(link)
            db.commit()
            record_sign_in_event("password set from link", email=user.email, user=user)
            flash("Your password has been set. Sign in with it.")
            return redirect(url_for("auth.sign_in"))
    return render_template("accounts/set_password.html", user=user, link=link, token=token, errors=errors,
                           error_title=bool(errors), min_length=_min_length()), 400 if errors else 200


def _send_link(user: User, purpose: str) -> str | None:
    """Make a one-time link for `user` and email it; the error to show if the email could not be sent.

    Any older unused link of theirs stops working. The caller commits."""
    db = get_session()
    config = current_app.config
    account_queries.retire_account_links(session=db, user_id=user.id, at=now())
    token = secrets.token_urlsafe(32)
    hours = config["INVITE_LINK_HOURS"] if purpose == "invite" else config["RESET_LINK_HOURS"]
    db.add(AccountLink(token_hash=token_hash(token), user_id=user.id, purpose=purpose, created_by_id=current_user.id,
                       created_at=now(), expires_at=now() + timedelta(hours=hours)))
    url = external_url("accounts.set_password_from_link", token=token)
    body = render_template(f"accounts/email_{purpose}.txt", user=user, url=url, hours=hours,
                           sender=current_user.name)
    subject = ("You have an account on Appraisal Impact" if purpose == "invite"
               else "Reset your Appraisal Impact password")
    try:
        send_mail(config, to=user.email, subject=subject, body=body)
    except MailNotSent as error:
        current_app.logger.warning("account link email to user %s not sent: %s", user.id, error)
        return "The email could not be sent (the mail server did not take it). Try again, or ask whoever runs the tool to check its mail settings."
    return None


# --- administrators: users --------------------------------------------------------------------------


def _role_form(errors: FormErrors, db) -> dict:
    """Read role, trust and confidential-price access from the form, checking them."""
    values = {
        "role": request.form.get("role", ""),
        "trust": request.form.get("trust", "").strip().upper(),
        "confidential": request.form.get("confidential") == "yes",
    }
    if values["role"] not in {r.value for r in Role}:
        errors.add("role", "Select a role")
    trust = queries.get_trust_by_ods(session=db, ods_code=values["trust"]) if values["trust"] else None
    if values["trust"] and trust is None:
        errors.add("trust", "Select a trust from the list")
    if values["role"] == Role.pharmacist.value and trust is None and not errors.for_field("trust"):
        errors.add("trust", "Select the trust this pharmacist works for")
    values["trust_id"] = trust.id if trust else None
    return values


@bp.route("/admin/users")
@roles_required(Role.admin)
def users():
    """Everyone who can sign in (or could), with a way to invite someone."""
    return render_template("accounts/users.html", users=account_queries.list_users(session=get_session()),
                           role_labels=ROLE_LABELS)


@bp.route("/admin/users/invite", methods=["GET", "POST"])
@roles_required(Role.admin)
def invite():
    """Invite someone: their account is made, and an email gives them a link to set their password."""
    db = get_session()
    errors = FormErrors()
    values = {"email": "", "name": "", "role": "", "trust": "", "confidential": False}
    if request.method == "POST":
        values["email"] = request.form.get("email", "").strip().lower()
        values["name"] = request.form.get("name", "").strip()
        if not values["email"]:
            errors.add("email", "Enter their email address")
        elif not EMAIL_PATTERN.match(values["email"]) or len(values["email"]) > 254:
            errors.add("email", "Enter an email address in the correct format, like name@example.nhs.uk")
        elif queries.get_user_by_email(session=db, email=values["email"]):
            errors.add("email", "Someone with this email address already has an account")
        if not values["name"]:
            errors.add("name", "Enter their name")
        elif len(values["name"]) > NAME_MAX:
            errors.add("name", f"The name must be {NAME_MAX} characters or fewer")
        values.update(_role_form(errors, db))
        if not errors:
            user = User(email=values["email"], name=values["name"], role=Role(values["role"]),
                        trust_id=values["trust_id"], can_see_confidential_prices=values["confidential"],
                        # no one knows this password: the invitation link sets the real one
                        password_hash=hash_password(secrets.token_urlsafe(32)))
            db.add(user)
            record_created(db, current_actor(), user, f"{user.name} ({user.role.value}), invited")
            problem = _send_link(user, "invite")
            db.commit()
            if problem:
                flash(f"{user.name}'s account has been made, but {problem[0].lower()}{problem[1:]}")
            else:
                flash(f"An invitation has been sent to {user.email}. The link in it works for "
                      f"{current_app.config['INVITE_LINK_HOURS']} hours.")
            return redirect(url_for("accounts.user", user_id=user.id))
    return render_template("accounts/invite.html", values=values, errors=errors, error_title=bool(errors),
                           trusts=queries.list_trusts(session=db), roles=ROLE_LABELS), 400 if errors else 200


def _user_page(db, user: User, errors: FormErrors | None = None, values: dict | None = None, status: int = 200):
    trust = db.get(Trust, user.trust_id) if user.trust_id else None
    values = values or {"role": user.role.value, "trust": trust.ods_code if trust else "",
                        "confidential": user.can_see_confidential_prices}
    return render_template(
        "accounts/user.html", user=user, values=values, errors=errors or FormErrors(), error_title=bool(errors),
        trusts=queries.list_trusts(session=db), roles=ROLE_LABELS,
        events=account_queries.recent_sign_in_events(session=db, user_id=user.id, limit=20),
        open_sessions=account_queries.count_open_sessions(session=db, user_id=user.id),
        history=queries.audit_trail(session=db, entity="user", entity_id=user.id),
    ), status


def _save_user(db, user: User, new_values: dict) -> None:
    """Change the account if nobody else has since the page was opened (EditConflict otherwise); commits."""
    try:
        expected = int(request.form.get("version", ""))
    except ValueError:
        abort(400)
    apply_changes(db, current_actor(), user, new_values, expected_version=expected)
    db.flush()
    if not account_queries.claim_user_version(session=db, user_id=user.id, expected_version=expected):
        db.rollback()
        raise EditConflict(db.get(User, user.id), expected)
    db.commit()


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.admin)
def user(user_id: int):
    """One user: change their role, trust and access to confidential prices; see their sign-ins."""
    db = get_session()
    row = get_or_404(db, User, user_id)
    if request.method == "GET":
        return _user_page(db, row)
    errors = FormErrors()
    values = _role_form(errors, db)
    if row.id == current_user.id and values["role"] != Role.admin.value and not errors:
        errors.add("role", "You cannot take away your own administrator role: ask another administrator")
    if errors:
        return _user_page(db, row, errors, values, 400)
    try:
        _save_user(db, row, {"role": Role(values["role"]), "trust_id": values["trust_id"],
                             "can_see_confidential_prices": values["confidential"]})
    except EditConflict as conflict:
        errors.add("role", "Another administrator changed this account after you opened this page. "
                           "It is shown below as it is now: make your change again if it is still needed.")
        return _user_page(db, conflict.current, errors, None, 409)
    flash(f"{row.name}'s account has been saved.")
    return redirect(url_for("accounts.user", user_id=row.id))


@bp.route("/admin/users/<int:user_id>/active", methods=["POST"])
@roles_required(Role.admin)
def set_active(user_id: int):
    """Deactivate a user (they are signed out at once and cannot sign in), or let them sign in again."""
    db = get_session()
    row = get_or_404(db, User, user_id)
    active = request.form.get("active") == "yes"
    if row.id == current_user.id and not active:
        return _user_page(db, row, FormErrors([("deactivate", "You cannot deactivate your own account")]), status=400)
    try:
        _save_user(db, row, {"active": active})
    except EditConflict as conflict:
        errors = FormErrors([("deactivate", "Another administrator changed this account after you opened this page. "
                                            "It is shown below as it is now.")])
        return _user_page(db, conflict.current, errors, None, 409)
    if not active:
        account_queries.end_sign_in_sessions(session=db, user_id=row.id, at=now(), reason="deactivated")
        account_queries.retire_account_links(session=db, user_id=row.id, at=now())
        db.commit()
        flash(f"{row.name} has been deactivated and signed out. They cannot sign in.")
    else:
        flash(f"{row.name} can sign in again.")
    return redirect(url_for("accounts.user", user_id=row.id))


@bp.route("/admin/users/<int:user_id>/reset", methods=["POST"])
@roles_required(Role.admin)
def send_reset(user_id: int):
    """Email a user a one-time link to set a new password (their password stays until they use it)."""
    db = get_session()
    row = get_or_404(db, User, user_id)
    if not row.active:
        return _user_page(db, row, FormErrors([("reset", "This account is deactivated: let them sign in again first")]), status=400)
    problem = _send_link(row, "reset")
    record(db, current_actor(), row, "update", "password reset link", "", "sent" if not problem else "not sent")
    db.commit()
    if problem:
        return _user_page(db, row, FormErrors([("reset", problem)]), status=503)
    flash(f"A link to reset the password has been sent to {row.email}. It works once, for "
          f"{current_app.config['RESET_LINK_HOURS']} hours.")
    return redirect(url_for("accounts.user", user_id=row.id))


@bp.route("/admin/sign-ins")
@roles_required(Role.admin)
def sign_ins():
    """The sign-in record: every sign-in, failure, refusal and sign-out, newest first."""
    return render_template("accounts/sign_ins.html",
                           events=account_queries.recent_sign_in_events(session=get_session(), limit=200))

