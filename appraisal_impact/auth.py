"""Sign-in, sessions, roles and CSRF: who may see and do what, checked on the server.

A signed-in session lives on the server (`SignInSession`): the browser's cookie holds only a random token.
Signing out ends the row, so a copied or replayed cookie is refused; so does idling past
SESSION_IDLE_MINUTES, passing SESSION_MAX_HOURS, a password change and a deactivated account.

Sign-in attempts are throttled per account and per address (Flask-Limiter; counters in the app's database
by default, see `ratelimit.py`), refused in the same time whether or not the address is known, and every
attempt is recorded (`SignInEvent`).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from functools import wraps

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session as cookie, url_for
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect, generate_csrf
from markupsafe import Markup
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Regexp

from . import queries, ratelimit  # noqa: F401  (ratelimit registers the "database://" storage)
from .db import get_session
from .models import Role, SignInEvent, SignInSession, User, utcnow
from .passwords import check_password, hash_password  # noqa: F401  (hash_password: kept here for older callers)
from .queries import accounts as account_queries
from .web import is_htmx, public, safe_next

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()
log = logging.getLogger(__name__)

SESSION_SEEN_EVERY = timedelta(minutes=1)  # how often a session's last_seen_at is written (not every request)


def _address() -> str:
    # ProxyFix (PROXY_COUNT) has already put the client's address here when behind trusted proxies.
    return (request.remote_addr or "")[:64]


limiter = Limiter(key_func=_address)


def now() -> datetime:
    """Now (naive UTC), or the moment a test fixes with the CLOCK setting (a callable)."""
    clock = current_app.config.get("CLOCK")
    return clock() if clock else utcnow()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SignedInUser:
    """What Flask-Login keeps for the signed-in user: the row, with the role helpers pages need.

    `get_id()` is the session's random token (what the cookie holds), not the user's id."""

    def __init__(self, user: User, token: str = "", sign_in_session: SignInSession | None = None):
        self.user = user
        self.token = token
        self.sign_in_session = sign_in_session

    # Flask-Login protocol
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.token

    def __getattr__(self, name):
        return getattr(self.user, name)

    @property
    def may_edit_anything(self) -> bool:
        return self.user.role in (Role.lead, Role.admin)

    def may_edit_trust(self, trust_id: int | None) -> bool:
        """Leads and admins edit any trust; a pharmacist only their own."""
        if self.may_edit_anything:
            return True
        return self.user.role == Role.pharmacist and trust_id is not None and trust_id == self.user.trust_id

    @property
    def may_edit_library(self) -> bool:
        """The shared regimen library: pharmacists, leads and admins."""
        return self.user.role in (Role.pharmacist, Role.lead, Role.admin)

    @property
    def may_share(self) -> bool:
        return self.user.role in (Role.alliance, Role.lead, Role.admin)

    def may_see_confidential(self, trust_id: int | None = None) -> bool:
        """Confidential (PAS) prices: only users granted it, and for a trust's own price only its own staff."""
        if not self.user.can_see_confidential_prices or not self.user.active:
            return False
        if trust_id is None or self.may_edit_anything or self.user.role == Role.alliance:
            return True
        return self.user.trust_id == trust_id


def roles_required(*roles: Role):
    """Refuse (403) anyone signed in without one of `roles`; send the signed-out to sign in."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


class SignInForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address"), Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter an email address in the correct format, like name@example.nhs.uk")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password")])


# --- sessions on the server ------------------------------------------------------------------------

SESSION_END_MESSAGES = {
    "idle": "You were signed out because you had not used the tool for {idle} minutes. Sign in again.",
    "too long": "You were signed out because you had been signed in for {hours} hours. Sign in again.",
    "password changed": "You were signed out because your password was changed. Sign in with the new one.",
    "deactivated": "Sign in to see this page.",
}


def start_session(user: User) -> SignedInUser:
    """Sign `user` in: a new server-side session, a fresh cookie (nothing carried over from before)."""
    db = get_session()
    token = secrets.token_urlsafe(32)
    moment = now()
    row = SignInSession(token_hash=token_hash(token), user_id=user.id, started_at=moment, last_seen_at=moment,
                        address=_address())
    db.add(row)
    db.commit()
    # No session fixation: nothing in the cookie from before signing in is kept, except the CSRF secret
    # (a form opened before signing in still submits; the sign-in itself needed that secret anyway).
    csrf_secret = cookie.get("csrf_token")
    cookie.clear()
    if csrf_secret:
        cookie["csrf_token"] = csrf_secret
    signed_in = SignedInUser(user, token, row)
    login_user(signed_in)
    return signed_in


def end_session(row: SignInSession | None, reason: str) -> None:
    if row is not None and row.ended_at is None:
        row.ended_at = now()
        row.ended_reason = reason
        get_session().add(row)


def _session_over(row: SignInSession, user: User | None, moment: datetime) -> str | None:
    """Why this session may no longer be used, or None."""
    config = current_app.config
    if user is None or not user.active:
        return "deactivated"
    if user.password_changed_at is not None and row.started_at < user.password_changed_at:
        return "password changed"
    if moment - row.started_at > timedelta(hours=config["SESSION_MAX_HOURS"]):
        return "too long"
    if moment - row.last_seen_at > timedelta(minutes=config["SESSION_IDLE_MINUTES"]):
        return "idle"
    return None


@login_manager.user_loader
def _load_user(token: str):
    db = get_session()
    row = account_queries.sign_in_session_by_hash(session=db, token_hash=token_hash(token)) if token else None
    if row is None:
        return None
    user = queries.get_user(session=db, user_id=row.user_id)
    moment = now()
    reason = row.ended_reason if row.ended_at is not None else _session_over(row, user, moment)
    if reason:
        if row.ended_at is None:
            end_session(row, reason)
            db.commit()
        config = current_app.config
        g.session_end_message = SESSION_END_MESSAGES.get(reason, "Sign in to see this page.").format(
            idle=config["SESSION_IDLE_MINUTES"], hours=config["SESSION_MAX_HOURS"])
        return None
    if moment - row.last_seen_at >= SESSION_SEEN_EVERY:
        row.last_seen_at = moment
        db.add(row)
        db.commit()
    return SignedInUser(user, token, row)


@login_manager.unauthorized_handler
def _send_to_sign_in():
    """Signed out (or never signed in): to the sign-in page, coming back here afterwards."""
    flash(g.pop("session_end_message", None) or "Sign in to see this page.")
    target = safe_next(request.full_path.rstrip("?")) if request.method == "GET" else None
    location = url_for("auth.sign_in", next=target)
    if is_htmx():
        # htmx would swap the sign-in page into a fragment: send the whole page there instead.
        return "", 401, {"HX-Redirect": location}
    return redirect(location)


# --- sign-in and its record -------------------------------------------------------------------------


def record_sign_in_event(outcome: str, *, email: str = "", user: User | None = None) -> None:
    """Keep one line of the sign-in record (and log it), committed at once."""
    db = get_session()
    db.add(SignInEvent(at=now(), email=email[:254], user_id=user.id if user else None, outcome=outcome,
                       address=_address(), user_agent=request.headers.get("User-Agent", "")[:200]))
    db.commit()
    log.info("sign-in event: %s email=%s address=%s", outcome, email[:254], _address())


def _account_key() -> str:
    """The throttling key for the account being tried: a hash, so no address is kept in the counters."""
    email = (request.form.get("email") or "").strip().lower()
    return "account:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def _failed_sign_in(_response) -> bool:
    """Only wrong passwords and unknown addresses count against the limits (not typos in the form)."""
    return bool(g.get("sign_in_failed"))


def _limit(setting: str):
    return lambda: current_app.config[setting]


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit(_limit("SIGN_IN_LIMIT_PER_ADDRESS"), methods=["POST"], deduct_when=_failed_sign_in,
               scope="sign-in-address")
@limiter.limit(_limit("SIGN_IN_LIMIT_PER_ACCOUNT"), key_func=_account_key, methods=["POST"],
               deduct_when=_failed_sign_in, scope="sign-in-account")
def sign_in():
    """Sign in with email and password."""
    form = SignInForm()
    if form.validate_on_submit():
        db = get_session()
        email = form.email.data.strip().lower()
        user = queries.get_user_by_email(session=db, email=email)
        # The password is checked even when the address is unknown (against a dummy hash): the same work,
        # so the time taken does not tell whether an address has an account.
        password_right = check_password(user.password_hash if user else None, form.password.data)
        if user and user.active and password_right:
            user.previous_visit_at = user.last_seen_at
            user.last_seen_at = now()
            db.add(user)
            start_session(user)
            record_sign_in_event("signed in", email=email, user=user)
            return redirect(safe_next(request.args.get("next")) or url_for("pipeline.index"))
        g.sign_in_failed = True
        outcome = "unknown address" if user is None else ("deactivated" if not user.active else "wrong password")
        record_sign_in_event(outcome, email=email, user=user)
        form.email.errors = [*form.email.errors, "The email address or password is not right"]
    status = 400 if form.errors else 200
    return render_template("auth/sign_in.html", form=form, next_url=safe_next(request.args.get("next"))), status


def _too_many_attempts(error: RateLimitExceeded):
    """Throttled: on the sign-in page, say so beside the form (429); elsewhere a plain 429 page."""
    if request.endpoint == "auth.sign_in":
        email = (request.form.get("email") or "").strip().lower()
        record_sign_in_event("too many attempts", email=email)
        form = SignInForm()
        message = ("There have been too many failed attempts to sign in. Wait 15 minutes and try again, "
                   "or ask an administrator to send you a link to reset your password.")
        form.email.errors = [message]
        return render_template("auth/sign_in.html", form=form, next_url=safe_next(request.args.get("next"))), 429
    return render_template("auth/too_many.html"), 429


@bp.route("/sign-out", methods=["POST"])
@login_required
def sign_out():
    """Sign out (a POST, so a link cannot sign someone out): the session ends on the server too."""
    end_session(current_user.sign_in_session, "signed out")
    record_sign_in_event("signed out", email=current_user.email, user=current_user.user)
    logout_user()
    cookie.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.sign_in"))


def sign_out_form_with_csrf(header_html) -> Markup:
    """The NHS header macro cannot add a hidden field to its account form: put the CSRF token in the
    sign-out form it renders (without it, signing out in a browser is refused as a CSRF failure)."""
    form_start = f'action="{url_for("auth.sign_out")}" method="post" novalidate>'
    token_field = Markup('<input type="hidden" name="csrf_token" value="{}">').format(generate_csrf())
    return Markup(str(header_html).replace(form_start, form_start + str(token_field), 1))


def init_app(app) -> None:
    app.add_template_filter(sign_out_form_with_csrf)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    csrf.init_app(app)
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _too_many_attempts)
    app.register_blueprint(bp)
