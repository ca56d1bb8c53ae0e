import pytest

from appraisal_impact.nice.errors import NiceReferenceError
from appraisal_impact.nice.references import (
    NiceReference,
    ReferenceKind,
    indevelopment_list_url,
    parse_reference,
    recommendations_url,
    reference_from_path,
)


@pytest.mark.parametrize(
    ("pasted", "kind", "value", "url"),
    [
        ("https://www.nice.org.uk/guidance/indevelopment/gid-ta10914", ReferenceKind.GID, "GID-TA10914",
         "https://www.nice.org.uk/guidance/indevelopment/gid-ta10914"),
        ("https://www.nice.org.uk/guidance/indevelopment/gid-ta10914/documents?tab=1#x", ReferenceKind.GID,
         "GID-TA10914", "https://www.nice.org.uk/guidance/indevelopment/gid-ta10914"),
        ("www.nice.org.uk/guidance/indevelopment/GID-TA10730/", ReferenceKind.GID, "GID-TA10730",
         "https://www.nice.org.uk/guidance/indevelopment/gid-ta10730"),
        ("https://www.nice.org.uk/guidance/ta1037", ReferenceKind.TA_NUMBER, "TA1037",
         "https://www.nice.org.uk/guidance/ta1037"),
        ("https://nice.org.uk/guidance/TA1037/chapter/1-Recommendations?utm=x", ReferenceKind.TA_NUMBER, "TA1037",
         "https://www.nice.org.uk/guidance/ta1037"),
        ("GID-TA10914", ReferenceKind.GID, "GID-TA10914", "https://www.nice.org.uk/guidance/indevelopment/gid-ta10914"),
        ("  gid-ta10914 ", ReferenceKind.GID, "GID-TA10914", "https://www.nice.org.uk/guidance/indevelopment/gid-ta10914"),
        ("GID-NG10237", ReferenceKind.GID, "GID-NG10237", "https://www.nice.org.uk/guidance/indevelopment/gid-ng10237"),
        ("ID4014", ReferenceKind.ID_NUMBER, "ID4014", None),
        ("[ID4014]", ReferenceKind.ID_NUMBER, "ID4014", None),
        ("id 3840", ReferenceKind.ID_NUMBER, "ID3840", None),
        ("TA1037", ReferenceKind.TA_NUMBER, "TA1037", "https://www.nice.org.uk/guidance/ta1037"),
        ("ta 862", ReferenceKind.TA_NUMBER, "TA862", "https://www.nice.org.uk/guidance/ta862"),
    ],
)
def test_parse_reference(pasted, kind, value, url):
    reference = parse_reference(pasted)
    assert reference == NiceReference(kind, value)
    assert str(reference) == value
    assert reference.url() == url


@pytest.mark.parametrize(
    "pasted",
    ["", "   ", "pembrolizumab", "NG28", "GID-", "TA", "https://example.com/guidance/ta1037",
     "https://www.nice.org.uk/guidance/ng28", "https://www.nice.org.uk/guidance/indevelopment"],
)
def test_parse_reference_rejects_what_is_not_an_appraisal(pasted):
    with pytest.raises(NiceReferenceError):
        parse_reference(pasted)


def test_unknown_input_message_names_the_accepted_forms():
    with pytest.raises(NiceReferenceError, match=r"GID-TA10914.*ID4014.*TA1037"):
        parse_reference("pembrolizumab")


def test_technology_appraisal_flag():
    assert parse_reference("GID-TA10914").is_technology_appraisal
    assert parse_reference("ID4014").is_technology_appraisal
    assert parse_reference("TA1037").is_technology_appraisal
    assert not parse_reference("GID-NG10237").is_technology_appraisal


def test_reference_from_path_accepts_nice_test_hosts_and_ignores_other_programmes():
    assert reference_from_path("https://next-web-tests.nice.org.uk/guidance/indevelopment/GID-DG10162") == NiceReference(
        ReferenceKind.GID, "GID-DG10162"
    )
    assert reference_from_path("/guidance/ta1037/chapter/1-Recommendations") == NiceReference(
        ReferenceKind.TA_NUMBER, "TA1037"
    )
    assert reference_from_path("https://www.nice.org.uk/guidance/cg181") is None


def test_list_and_chapter_urls():
    assert indevelopment_list_url(page=3, page_size=25) == (
        "https://www.nice.org.uk/guidance/indevelopment?ngt=Technology%20appraisal%20guidance&ps=25&pa=3"
    )
    assert indevelopment_list_url(query="ID4014", base_url="http://127.0.0.1:9/").endswith("&pa=1&q=ID4014")
    assert recommendations_url(parse_reference("TA1037")) == (
        "https://www.nice.org.uk/guidance/ta1037/chapter/1-Recommendations"
    )
    with pytest.raises(NiceReferenceError):
        recommendations_url(parse_reference("GID-TA10914"))
