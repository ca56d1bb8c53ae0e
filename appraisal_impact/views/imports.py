"""Bulk import of regimens and list prices: upload → preview with a row-by-row report → confirm → all or nothing.

Nothing is kept between the preview and the confirmation except the file itself, sent back with the
confirmation and checked again in full, so what is imported is exactly what was previewed and checked.
"""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from .. import importing
from ..audit import Actor
from ..db import get_session
from ..forms import ImportConfirmForm, ImportUploadForm
from ..queries import regimens as regimen_queries
from .editing import require

bp = Blueprint("imports", __name__)

KINDS = {"regimens": "Regimens and their components", "prices": "Drug packs and list prices"}


def _check(kind: str, filename: str, content: bytes) -> importing.ParsedImport:
    session = get_session()
    rows = importing.read_table(filename, content, kind)
    if kind == "regimens":
        names = {r.name.lower() for r in regimen_queries.all_regimens(session=session)}
        return importing.check_regimens(rows, existing_names=names, filename=filename)
    drugs = regimen_queries.drugs_by_lower_name(session=session)
    packs = {(p.drug_id, p.description.lower()): p for rows_ in regimen_queries.packs_by_drug(session=session).values() for p in rows_}
    return importing.check_prices(rows, drugs=drugs, packs=packs, filename=filename)


@bp.route("/imports")
def index():
    """Choose what to import, download a template, upload a file."""
    require(current_user.may_edit_library)
    return render_template("imports/index.html", form=ImportUploadForm(), errors=[], kinds=KINDS)


@bp.route("/imports/template/<kind>.<fmt>")
def template(kind: str, fmt: str):
    """A template to fill in, as CSV or Excel."""
    if kind not in KINDS or fmt not in ("csv", "xlsx"):
        abort(404)
    response = make_response(importing.template(kind, fmt))
    response.headers["Content-Type"] = (
        "text/csv; charset=utf-8" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="appraisal-impact-{kind}-template.{fmt}"'
    return response


@bp.route("/imports/preview", methods=["POST"])
def preview():
    """Read and check the uploaded file; show every row and every problem. Nothing is saved."""
    require(current_user.may_edit_library)
    form = ImportUploadForm()
    form.validate()
    upload = request.files.get("upload")
    kind = form.kind.data if form.kind.data in KINDS else None
    form.kind.errors = [] if kind else ["Select what you are importing"]
    form.upload.errors = [] if upload is not None and upload.filename else ["Select a CSV or Excel file"]
    if form.kind.errors or form.upload.errors:
        errors = [(f.id, f.errors[0]) for f in (form.kind, form.upload) if f.errors]
        return make_response(render_template("imports/index.html", form=form, errors=errors, error_title=True, kinds=KINDS), 400)
    content = upload.read(importing.MAX_BYTES + 1)
    try:
        parsed = _check(kind, upload.filename, content)
    except importing.ImportFileError as error:
        form.upload.errors = [str(error)]
        return make_response(render_template("imports/index.html", form=form, errors=[("upload", str(error))], error_title=True, kinds=KINDS), 400)
    confirm = ImportConfirmForm(formdata=None, data={"kind": kind, "filename": upload.filename, "content": base64.b64encode(content).decode("ascii")})
    status = 200 if parsed.ok else 400
    return make_response(render_template("imports/preview.html", parsed=parsed, confirm=confirm, kinds=KINDS, error_title=not parsed.ok), status)


@bp.route("/imports/confirm", methods=["POST"])
def confirm():
    """Import everything in the previewed file in one transaction, or nothing if any row has a problem."""
    require(current_user.may_edit_library)
    form = ImportConfirmForm()
    if not form.validate() or form.kind.data not in KINDS:
        abort(400)
    try:
        content = base64.b64decode(form.content.data or "", validate=True)
    except (binascii.Error, ValueError):
        abort(400)
    session = get_session()
    try:
        parsed = _check(form.kind.data, form.filename.data or "", content)
    except importing.ImportFileError:
        abort(400)
    if not parsed.ok:
        # The library changed since the preview (for example a regimen of that name was added): show why.
        confirm_form = ImportConfirmForm(formdata=None, data={"kind": form.kind.data, "filename": form.filename.data, "content": form.content.data})
        return make_response(render_template("imports/preview.html", parsed=parsed, confirm=confirm_form, kinds=KINDS, error_title=True), 400)
    actor = Actor(current_user.id, current_user.name, "import")
    try:
        count = importing.apply(session, actor, parsed, drugs=regimen_queries.drugs_by_lower_name(session=session))
        session.commit()
    except Exception:
        session.rollback()  # all or nothing
        raise
    what = "regimens" if parsed.kind == "regimens" else "packs"
    flash(f"Imported {count} {what} from {parsed.filename}." if count else f"Nothing to import from {parsed.filename}: every row matched the library.")
    return redirect(url_for("regimens.index" if parsed.kind == "regimens" else "regimens.drugs"))
