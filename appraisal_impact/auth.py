"""Sign-in, roles and CSRF: who may see and do what, checked on the server."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Regexp

from . import queries
from .db import get_session
from .models import Role, User, utcnow
from .web import public

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()

# Password hashing: werkzeug's scrypt default.
hash_password = generate_password_hash


class SignedInUser:
    """What Flask-Login keeps for the signed-in user: the row, with the role helpers pages need."""

    def __init__(self, user: User):
        self.user = user

    # Flask-Login protocol
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.user.id)

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


@login_manager.user_loader
def _load_user(user_id: str):
    user = queries.get_user(session=get_session(), user_id=int(user_id))
    if user is None or not user.active:
        return None
    return SignedInUser(user)


def _is_safe_next(target: str | None) -> bool:
    return bool(target) and target.startswith("/") and not target.startswith("//")


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in():
    """Sign in with email and password."""
    form = SignInForm()
    if form.validate_on_submit():
        session = get_session()
        user = queries.get_user_by_email(session=session, email=form.email.data.strip().lower())
        if user and user.active and check_password_hash(user.password_hash, form.password.data):
            user.previous_visit_at = user.last_seen_at
            user.last_seen_at = utcnow()
            session.add(user)
            session.commit()
            login_user(SignedInUser(user))
            target = request.args.get("next")
            return redirect(target if _is_safe_next(target) else url_for("pipeline.index"))
        form.email.errors = [*form.email.errors, "The email address or password is not right"]
    status = 400 if form.errors else 200
    return render_template("auth/sign_in.html", form=form), status


@bp.route("/sign-out", methods=["POST"])
@login_required
def sign_out():
    """Sign out (a POST, so a link cannot sign someone out)."""
    logout_user()
    flash("You have signed out.")
    return redirect(url_for("auth.sign_in"))


def init_app(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to see this page."
    csrf.init_app(app)
    app.register_blueprint(bp)
