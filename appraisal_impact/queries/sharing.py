"""Queries for share links and API tokens: find by hash, list, count an opening, note a use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from ..models import ApiToken, Appraisal, Drug, DrugPack, HrgCost, Icb, RegimenComponent, ShareLink, User


@dataclass(frozen=True)
class ShareLinkRow:
    """A share link with the names the list shows: who made it, and what it points at."""

    link: ShareLink
    created_by: str
    target_name: str


def share_link_by_hash(*, session: Session, token_hash: str) -> ShareLink | None:
    return session.exec(select(ShareLink).where(ShareLink.token_hash == token_hash)).first()


def get_share_link(*, session: Session, link_id: int) -> ShareLink | None:
    return session.get(ShareLink, link_id)


def target_name(*, session: Session, summary: str, target_id: int) -> str:
    """The ICB's or the appraisal's name, or "(deleted)" if it no longer exists."""
    if summary == "icb":
        icb = session.get(Icb, target_id)
        return icb.name if icb else "(deleted ICB)"
    appraisal = session.get(Appraisal, target_id)
    return appraisal.title if appraisal else "(deleted appraisal)"


def list_share_links(*, session: Session) -> list[ShareLinkRow]:
    """Every share link, newest first, with its creator's name and its target's name."""
    query = (
        select(ShareLink, User.name)
        .join(User, col(User.id) == ShareLink.created_by_id, isouter=True)
        .order_by(col(ShareLink.created_at).desc(), col(ShareLink.id).desc())
    )
    icb_names = {icb.id: icb.name for icb in session.exec(select(Icb))}
    appraisal_titles = dict(session.exec(select(Appraisal.id, Appraisal.title)).all())
    rows = []
    for link, creator in session.exec(query):
        names = icb_names if link.summary == "icb" else appraisal_titles
        rows.append(ShareLinkRow(link, creator or "unknown", names.get(link.target_id, "(deleted)")))
    return rows


def count_share_link_opened(*, session: Session, link_id: int, at: datetime) -> None:
    """Add one to a link's openings and note when (one UPDATE, so two people opening at once both count)."""
    session.execute(
        update(ShareLink)
        .where(col(ShareLink.id) == link_id)
        .values(open_count=ShareLink.open_count + 1, last_opened_at=at)
    )
    session.commit()


def api_token_by_hash(*, session: Session, token_hash: str) -> ApiToken | None:
    return session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash)).first()


def get_api_token(*, session: Session, token_id: int) -> ApiToken | None:
    return session.get(ApiToken, token_id)


def list_api_tokens(*, session: Session) -> list[tuple[ApiToken, str]]:
    """Every API token, newest first, with its creator's name."""
    query = (
        select(ApiToken, User.name)
        .join(User, col(User.id) == ApiToken.created_by_id, isouter=True)
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    )
    return [(token, creator or "unknown") for token, creator in session.exec(query)]


def note_api_token_used(*, session: Session, token_id: int, at: datetime) -> None:
    session.execute(update(ApiToken).where(col(ApiToken.id) == token_id).values(last_used_at=at))
    session.commit()


# --- for the summaries' assumptions ---------------------------------------------------------------


def drug_packs_with_names(*, session: Session) -> list[tuple[DrugPack, str]]:
    """Every pack with its drug's name, by drug then pack size (list prices only: never confidential)."""
    query = select(DrugPack, Drug.name).join(Drug, col(Drug.id) == DrugPack.drug_id).order_by(Drug.name, DrugPack.pack_mg)
    return [(pack, name) for pack, name in session.exec(query)]


def regimen_drug_names(*, session: Session, regimen_id: int) -> list[str]:
    query = (
        select(Drug.name)
        .join(RegimenComponent, col(RegimenComponent.drug_id) == Drug.id)
        .where(RegimenComponent.regimen_id == regimen_id)
        .order_by(RegimenComponent.position)
    )
    return list(session.exec(query))


def hrg_costs(*, session: Session) -> list[HrgCost]:
    return list(session.exec(select(HrgCost).order_by(HrgCost.code)))


def get_icb_by_ods(*, session: Session, ods_code: str) -> Icb | None:
    return session.exec(select(Icb).where(Icb.ods_code == ods_code.upper())).first()
