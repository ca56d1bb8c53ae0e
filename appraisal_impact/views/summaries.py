"""Summary pages for signed-in users (an ICB, an appraisal) and their PDF, Excel and CSV files.

Summaries always use list prices, whoever reads them (see `summaries.py`); the same dict feeds the page
and every file. `summary_file` and `print_html` are used by the shared pages too.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, make_response, render_template, url_for
from flask_login import current_user

from .. import queries
from ..db import get_session
from ..exports import summary_files
from ..models import Appraisal
from ..queries import sharing as sharing_queries
from ..summaries import build_appraisal_summary, build_icb_summary
from ..summary_charts import summary_charts
from ..web import get_or_404, today as web_today


bp = Blueprint("summaries", __name__)
bp.add_app_template_global(summary_charts, "summary_charts")  # page, shared page and PDF draw the same charts

FILE_TYPES = {
    "pdf": ("application/pdf", "PDF, for printing or a board paper"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel workbook"),
    "csv": ("text/csv; charset=utf-8", "CSV, one row per figure"),
}


def print_html(summary: dict) -> str:
    """The print document a PDF is made from; print.css is inlined, so that it needs nothing fetched."""
    print_css = (Path(current_app.static_folder) / "print.css").read_text(encoding="utf-8")
    return render_template("summaries/print.html", summary=summary, print_css=print_css)


def summary_file(summary: dict, file_type: str):
    """A download of `summary` as PDF, Excel or CSV; 404 for any other type."""
    if file_type not in FILE_TYPES:
        abort(404)
    if file_type == "pdf":
        body = summary_files.to_pdf(print_html(summary))
    elif file_type == "xlsx":
        body = summary_files.to_xlsx(summary)
    else:
        body = summary_files.to_csv(summary)
    response = make_response(body)
    response.headers["Content-Type"] = FILE_TYPES[file_type][0]
    response.headers["Content-Disposition"] = f'attachment; filename="{summary_files.file_name(summary, file_type)}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def file_links(endpoint: str, *, pdf: bool = True, **values) -> list[tuple[str, str]]:
    """(label, url) for each file type of a summary (`pdf=False`: the PDF is made by a background job instead)."""
    return [(f"Download as {label}", url_for(endpoint, file_type=kind, **values))
            for kind, (_mime, label) in FILE_TYPES.items() if pdf or kind != "pdf"]


def _share_url(kind: str, target_id: int) -> str | None:
    if "sharing.new" in current_app.view_functions and current_user.may_share:
        return url_for("sharing.new", target=f"{kind}:{target_id}")
    return None


def _icb_or_404(ods_code: str):
    icb = sharing_queries.get_icb_by_ods(session=get_session(), ods_code=ods_code)
    if icb is None:
        abort(404)
    return icb


@bp.route("/summaries")
def index():
    """The ICBs and appraisals there are summaries of."""
    session = get_session()
    return render_template(
        "summaries/index.html", icbs=queries.list_icbs(session=session), appraisals=queries.list_appraisals(session=session)
    )


@bp.route("/summaries/icbs/<ods_code>")
def icb(ods_code: str):
    """An ICB's summary page."""
    icb = _icb_or_404(ods_code)
    summary = build_icb_summary(get_session(), icb, today=web_today()).to_dict()
    return render_template(
        "summaries/icb.html", summary=summary,
        files=file_links("summaries.icb_file", pdf=False, ods_code=icb.ods_code), share_url=_share_url("icb", icb.id),
        pdf_job={"summary": "icb", "target": icb.ods_code},
    )


@bp.route("/summaries/icbs/<ods_code>/summary.<file_type>")
def icb_file(ods_code: str, file_type: str):
    """An ICB's summary as PDF, Excel or CSV."""
    if file_type not in FILE_TYPES:
        abort(404)
    icb = _icb_or_404(ods_code)
    return summary_file(build_icb_summary(get_session(), icb, today=web_today()).to_dict(), file_type)


@bp.route("/summaries/appraisals/<int:appraisal_id>")
def appraisal(appraisal_id: int):
    """An appraisal's summary page."""
    session = get_session()
    row = get_or_404(session, Appraisal, appraisal_id)
    summary = build_appraisal_summary(session, row, today=web_today()).to_dict()
    return render_template(
        "summaries/appraisal.html", summary=summary,
        files=file_links("summaries.appraisal_file", pdf=False, appraisal_id=row.id), share_url=_share_url("appraisal", row.id),
        pdf_job={"summary": "appraisal", "target": row.id},
    )


@bp.route("/summaries/appraisals/<int:appraisal_id>/summary.<file_type>")
def appraisal_file(appraisal_id: int, file_type: str):
    """An appraisal's summary as PDF, Excel or CSV."""
    if file_type not in FILE_TYPES:
        abort(404)
    session = get_session()
    row = get_or_404(session, Appraisal, appraisal_id)
    return summary_file(build_appraisal_summary(session, row, today=web_today()).to_dict(), file_type)
