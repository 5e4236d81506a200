"""Briefings: an A4 page whose numbers are the engine's, and a second page with every assumption,
the method and the sources, in PDF, PNG and HTML, with a short link and its QR code."""

import datetime as dt
import io
import json

import pytest
from pypdf import PdfReader

from geo.cli import main
from geo.reports.briefing import PNG_DPI, briefing_content, render_briefing
from geo.viewstate import decode, default_state


@pytest.fixture(scope="module")
def state(luton_engine):
    s = default_state(luton_engine)
    s.update(page="access", base="proposed_2020", cmp="current_2020")
    return s


@pytest.fixture(scope="module")
def store():
    from geo.store import ScenarioStore

    return ScenarioStore("sqlite://")


@pytest.fixture(scope="module")
def pdf_text(luton_engine, state, store):
    data = render_briefing(luton_engine, state, fmt="pdf", today=dt.date(2026, 11, 22), store=store)
    reader = PdfReader(io.BytesIO(data))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_is_two_a4_landscape_pages(pdf_text):
    reader, text = pdf_text
    assert len(reader.pages) == 2
    for page in reader.pages:
        box = page.mediabox
        assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # A4 landscape in points
    second = reader.pages[1].extract_text()
    for heading in ("The scenario", "Assumptions", "Method", "Sources and attribution"):
        assert heading in second
    assert "Source: MHCLG, English Indices of Deprivation 2019." in second  # the sources in full
    assert "open the link" not in text and "About the data" not in text and "in the dashboard)" not in text


def test_pdf_holds_the_engine_headline_numbers(pdf_text, luton_engine):
    _, text = pdf_text
    e = luton_engine
    cmp = e.compare(e.scenario("current_2020"), e.scenario("proposed_2020"), minutes=20)
    for number in (cmp.base.covered, cmp.alt.covered, cmp.population_losing_access, cmp.losing_in_most_deprived):
        assert f"{number:,.0f}" in text
    assert f"{100 * cmp.share_losing_in_most_deprived:.1f}%" in text
    assert f"{100 * cmp.alt.share_covered:.1f}%" in text
    # the five wards with the largest loss, in order
    top = cmp.by_ward.sort_values(["losing_access", "ward_name"], ascending=[False, True]).head(5)
    table = text[text.index("Ward Losing Before After") :]  # the map names every ward too
    positions = [table.index(f"{name} {losing:,.0f}") for name, losing in zip(top["ward_name"], top["losing_access"])]
    assert positions == sorted(positions)
    assert "22 November 2026" in text
    assert "LU4 9ND" in text  # the Leagrave hub assumption is stated


def test_link_in_briefing_reopens_the_same_view(luton_engine, state, store):
    content = briefing_content(luton_engine, state, base_url="http://example.test:8050/", store=store)
    assert content.link.startswith("http://example.test:8050/v/") and len(content.link) < 100
    query = store.load_view(content.link.rsplit("/", 1)[1])
    reopened, notices = decode(luton_engine, "?" + query)
    assert notices == [] and reopened == state


def test_the_qr_code_on_paper_is_the_short_link(luton_engine, state, store):
    """The QR code drawn on the page decodes (segno's own matrix, read back from the PNG) to the
    short link printed beside it."""
    import segno
    from PIL import Image

    content = briefing_content(luton_engine, state, store=store)
    image = Image.open(io.BytesIO(render_briefing(luton_engine, state, fmt="png", store=store))).convert("L")
    expected = [list(row) for row in segno.make(content.link, error="m", micro=False).matrix]
    n = len(expected) + 8  # with the quiet zone
    # the code's square sits at the foot of page 1, at 52% of its width (link_block at x0 = 0.52)
    import numpy as np

    pixels = np.asarray(image)[:1240]  # page 1 of the stacked PNG
    dark = pixels < 100
    rows, cols = np.nonzero(dark[1100:1240, 905:1020])
    top, left = rows.min() + 1100, cols.min() + 905
    module = (rows.max() - rows.min() + 1) / len(expected)
    read = [
        [int(dark[int(top + (i + 0.5) * module), int(left + (j + 0.5) * module)]) for j in range(len(expected))]
        for i in range(len(expected))
    ]
    assert n > 8 and read == expected


def test_png_has_the_expected_size(luton_engine, state):
    from PIL import Image

    data = render_briefing(luton_engine, state, fmt="png")
    image = Image.open(io.BytesIO(data))
    # A4 is 297 x 210 mm; at 150 dots per inch that is 1753.9 x 1240.2 pixels: two pages, 8 px apart
    assert PNG_DPI == 150 and image.size == (1753, 2 * 1240 + 8)


def test_html_is_self_contained(luton_engine, state):
    html = render_briefing(luton_engine, state, fmt="html").decode("utf-8")
    content = briefing_content(luton_engine, state)
    assert "<svg" in html and "<script" not in html
    assert content.link.replace("&", "&amp;") in html
    # no external resources: nothing is loaded by src= or url(), and the only link is back to the dashboard
    import re

    assert not re.search(r"""src=["']?http|url\(\s*["']?http|<link""", html)
    # '#': SVG-internal; data: the QR code's own image, inline
    hrefs = [h for h in re.findall(r"""href=["']([^"']+)""", html) if not h.startswith(("#", "data:image/png"))]
    assert hrefs and all(h.replace("&amp;", "&") == content.link for h in hrefs)


def test_needs_briefing_maps_the_indicator(luton_engine):
    s = default_state(luton_engine)
    s.update(page="needs", ind="obesity_year6_pct", level="ward")
    content = briefing_content(luton_engine, s)
    assert "Overweight or obese, Year 6" in content.map_title
    assert "page=needs" in content.link and "ind=obesity_year6_pct" in content.link


def test_cli_briefing_writes_the_file_and_prints_the_link(tmp_path):
    out_file = tmp_path / "brief.pdf"
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "briefing",
            "--scenario",
            "proposed_2020",
            "--compare",
            "current_2020",
            "--mode",
            "walk",
            "--minutes",
            "20",
            "--out",
            str(out_file),
        ],
        out=out,
        err=err,
    )
    assert code == 0, err.getvalue()
    assert len(PdfReader(out_file).pages) == 2
    assert "Link: http://127.0.0.1:8050/v/" in out.getvalue()
    cov = io.StringIO()
    main(["coverage", "--scenario", "proposed_2020", "--minutes", "20", "--json"], out=cov)
    assert f"{json.loads(cov.getvalue())['covered']:,.0f}" in out.getvalue()


@pytest.mark.parametrize(
    "args, text",
    [
        (["--out", "x.docx"], "use .pdf, .png or .html"),
        (["--compare", "nope", "--out", "x.pdf"], "unknown scenario"),
        (["--close", "nosuch", "--out", "x.pdf"], "unknown site"),
    ],
)
def test_cli_briefing_bad_arguments(tmp_path, args, text):
    err = io.StringIO()
    args = [a if not a.startswith("x.") else str(tmp_path / a) for a in args]
    code = main(["briefing", "--scenario", "proposed_2020", *args], out=io.StringIO(), err=err)
    assert code == 2 and text in err.getvalue()


def test_dashboard_download_payload(luton_engine, state):
    from dashboard.callbacks.briefing import briefing_download

    payload = briefing_download(luton_engine, state, "pdf", "http://10.0.0.1:8050/?page=access")
    assert payload["filename"].endswith(".pdf") and payload["base64"] is True
    import base64

    reader = PdfReader(io.BytesIO(base64.b64decode(payload["content"])))
    assert "http://10.0.0.1:8050/v/" in reader.pages[0].extract_text().replace("\n", "")
