"""Open redirects: `next=` goes only to a path on this site, through one helper (`web.safe_next`), on the
sign-in page and the readiness form alike, whatever tricks the address uses."""

from __future__ import annotations

import pytest

from appraisal_impact.models import Role
from appraisal_impact.web import safe_next
from tests.conftest import make_user, sign_in

# Each of these, as it arrives in the query string, would send a browser to another site.
BYPASSES = [
    "/%09/evil.example/",        # a tab: browsers drop it, leaving //evil.example/
    "/%0A/evil.example/",        # an encoded newline
    "/%0D%0A/evil.example/",     # carriage return and newline
    "%09//evil.example/",        # a leading tab
    "//evil.example/",
    "%2F%2Fevil.example/",       # //, encoded
    "/%5Cevil.example/",         # /\host: browsers read the backslash as a slash
    "%5C%5Cevil.example/",       # \\host
    "/%5C/evil.example/",
    "https:evil.example",        # a scheme with no slashes
    "https://evil.example/",
    "http:%2F%2Fevil.example",
    "javascript:alert(1)",
    "%20//evil.example/",        # a leading space
    "/%00/evil.example",         # a NUL byte
    "evil.example",              # not a path at all
]


@pytest.mark.parametrize("raw_next", BYPASSES)
def test_sign_in_never_redirects_off_site(client, users, raw_next):
    response = client.post(f"/sign-in?next={raw_next}", data={"email": users["viewer"].email,
                                                             "password": "correct horse battery staple"})
    if "%00" in raw_next:  # a NUL anywhere in an address is refused outright as bad input
        assert response.status_code == 400 and "Location" not in response.headers
        return
    assert response.status_code == 302
    assert response.headers["Location"] == "/pipeline"


def test_sign_in_goes_on_to_a_page_on_this_site(client, users):
    response = client.post("/sign-in?next=%2Ftrusts%3Fsort%3Dname", data={"email": users["viewer"].email,
                                                                        "password": "correct horse battery staple"})
    assert response.headers["Location"] == "/trusts?sort=name"


@pytest.mark.parametrize("raw_next", BYPASSES)
def test_the_readiness_form_never_redirects_off_site(client, seeded, raw_next):
    from appraisal_impact import queries

    lead = make_user(seeded, Role.lead, email="lead@example.nhs.uk")
    sign_in(client, lead)
    trust = queries.get_trust_by_ods(session=seeded, ods_code="RHM")
    appraisal = queries.find_appraisal(session=seeded, reference="TA1037")
    url = f"/trusts/RHM/appraisals/{appraisal.id}/readiness?next={raw_next}"
    response = client.post(url, data={"status": "assessing", "note": "", "version": ""})
    if "%00" in raw_next:  # a NUL anywhere in an address is refused outright as bad input
        assert response.status_code == 400 and "Location" not in response.headers
        return
    assert response.status_code == 302
    assert response.headers["Location"] == f"/trusts/{trust.ods_code}/impact#readiness"


@pytest.mark.parametrize("target", [
    "/\t/evil.example/", "/\n/evil.example", "/\\evil.example", "\\\\evil.example", "//evil.example",
    "https:evil.example", "https://evil.example", "/ /evil.example", "", None, "pipeline",
])
def test_safe_next_refuses(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/pipeline", "/trusts/RHM/impact#readiness", "/summaries?icb=QVV&x=1"])
def test_safe_next_keeps_paths_on_this_site(target):
    assert safe_next(target) == target


def test_sign_in_page_keeps_only_a_safe_next_in_its_form(client):
    page = client.get("/sign-in?next=/%09/evil.example/").get_data(as_text=True)
    assert "evil.example" not in page
