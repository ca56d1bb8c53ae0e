"""What each kind of background job does. Each takes (app, session, params, progress) and returns a
`WorkResult`; it raises `JobFailed` with words a user reads when it cannot do its work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from .. import nice_sync
from ..audit import Actor
from ..exports import summary_files
from ..models import Appraisal
from ..queries import nice as nice_queries
from ..queries import sharing as sharing_queries
from ..summaries import build_appraisal_summary, build_icb_summary
from . import NICE_REFRESH_ALL, SUMMARY_PDF, JobFailed, Progress


@dataclass(frozen=True)
class WorkResult:
    message: str  # one line: what came of it
    lines: tuple[str, ...] = ()  # the details a user reads under it
    file_name: str = ""
    file_content: bytes | None = None


def refresh_all_from_nice(app: Flask, session: Session, params: dict, progress: Progress) -> WorkResult:
    """Read every tracked appraisal (not the examples, unless asked) from NICE, each on its own:
    one failing does not stop the rest; each is committed as soon as it is read (nice_sync's rules)."""
    actor = Actor(params.get("user_id"), params.get("actor_name", "nightly schedule"),
                  params.get("origin", nice_sync.REFRESH_ORIGIN))
    appraisal_ids = nice_queries.refreshable_appraisal_ids(
        session=session, include_examples=bool(params.get("include_examples")))
    total = len(appraisal_ids)
    progress(0, total, f"Reading {total} appraisal{'' if total == 1 else 's'} from NICE.")
    outcomes: list[nice_sync.RefreshOutcome] = []
    client = nice_sync.client_factory(app.extensions)(app.config)
    try:
        for done, appraisal_id in enumerate(appraisal_ids, start=1):
            appraisal = session.get(Appraisal, appraisal_id)
            if appraisal is None:  # deleted since the list was read
                continue
            label = nice_sync.label_for(appraisal)
            try:
                outcome = nice_sync.refresh_appraisal(session, actor, appraisal, client)
                session.commit()
            except SQLAlchemyError as error:  # e.g. someone saved this appraisal meanwhile
                session.rollback()
                outcome = nice_sync.RefreshOutcome(
                    appraisal_id, label, ok=False,
                    message=f"Could not save the refresh of {label}: {type(error).__name__}")
            outcomes.append(outcome)
            progress(done, total, f"Read {done} of {total} from NICE: {label}.")
    finally:
        getattr(client, "close", lambda: None)()
    failed = [o for o in outcomes if not o.ok]
    changed = [o for o in outcomes if o.ok and o.changed]
    unchanged = len(outcomes) - len(changed) - len(failed)
    message = (f"Refreshed {len(outcomes)} appraisal{'' if len(outcomes) == 1 else 's'} from NICE: "
               f"{len(changed)} changed, {unchanged} unchanged, {len(failed)} failed.")
    return WorkResult(message, tuple(o.line() for o in failed + changed))


def summary_pdf(app: Flask, session: Session, params: dict, progress: Progress) -> WorkResult:
    """Build the PDF of an ICB's or an appraisal's summary (list prices only, as every summary)."""
    from ..views.summaries import print_html  # the print document the PDF is made from

    today = date.fromisoformat(params["today"])
    progress(0, 1, "Building the PDF.")
    if params["summary"] == "icb":
        icb = sharing_queries.get_icb_by_ods(session=session, ods_code=params["target"])
        if icb is None:
            raise JobFailed("That ICB is no longer in the tool: no PDF was made.")
        summary = build_icb_summary(session, icb, today=today).to_dict()
    elif params["summary"] == "appraisal":
        appraisal = session.get(Appraisal, int(params["target"]))
        if appraisal is None:
            raise JobFailed("That appraisal is no longer in the tool: no PDF was made.")
        summary = build_appraisal_summary(session, appraisal, today=today).to_dict()
    else:
        raise JobFailed("No such summary: no PDF was made.")
    with app.test_request_context():  # the print template may build links
        content = summary_files.to_pdf(print_html(summary))
    return WorkResult("The PDF is ready.", (), summary_files.file_name(summary, "pdf"), content)


KIND_WORK = {NICE_REFRESH_ALL: refresh_all_from_nice, SUMMARY_PDF: summary_pdf}
