"""Accessible data tables: plain HTML tables with sortable column headers, an optional filter
and a CSV download that says what it holds.

Why not ``dash_table.DataTable``: it traps keyboard focus (page box, Export button), its page
buttons have no names, its filter cells fail colour contrast and target size (WCAG 2.2 AA),
and Dash is retiring it. Here every control is a native button or input:

* a table's content lives in a store (``data_id(name)``): ``{"columns": [{"id", "name"}],
  "rows": [...], "csv": {"filename": ..., "about": [lines]}}``, written by the page callbacks;
* the page callback that writes new rows renders them in the same response (``table_outputs``,
  ``table_shown``, ``table_update``: a table of its own callback was one more request per table
  per click), keeping the sort and filter shown; one generic callback (``register``) renders
  the table again when a header button is pressed (``aria-sort`` on the header cell says which
  way) or the filter text changes;
* the rendered table is one ``dcc.Markdown`` of escaped HTML, not one Dash component per cell:
  Dash's renderer gives every component a store subscription, and mounting a 216-row table
  (1,700 components) froze the page for about 20 s after each click (every mount notifies
  every subscriber: quadratic). The header buttons are plain ``<button>``s; ``assets/tables.js``
  turns a press into the table's sort-request store (``sort_request_id(name)``);
* the download writes the rows with the labels shown on screen, after a ``#`` header block
  (what, scenario, settings, sources, link) that spreadsheet programs and
  ``pandas.read_csv(..., comment="#")`` skip.
"""

from __future__ import annotations

import csv
import html as html_text
import io
import json
import math

import dash_bootstrap_components as dbc
from dash import MATCH, Input, Output, State, ctx, dcc, html, no_update
from flask import has_request_context, request

from geo.scenario import CONTROL_CHARACTERS

TABLE_DATA = "tbl-data"
TABLE_BODY = "tbl-body"
TABLE_SORT = "tbl-sort"
TABLE_SORT_STATE = "tbl-sort-state"
TABLE_SORT_REQUEST = "tbl-sort-request"  # {"col", "at"} written by assets/tables.js
TABLE_FILTER = "tbl-filter"
TABLE_CSV_BUTTON = "tbl-csv-button"
TABLE_DOWNLOAD = "tbl-download"
TABLE_COUNT = "tbl-count"


def dom_id(component_id: dict) -> str:
    """The DOM id Dash gives a dict id (keys sorted, compact JSON), for ``<label for>``."""
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


def body_css(name: str) -> str:
    """CSS selector of a table's scroll region (for tests and scripts)."""
    return f"[id='{dom_id({'type': TABLE_BODY, 'table': name})}']"


def sort_request_id(name: str) -> dict:
    """Id of the store a header button's press writes (``{"col", "at"}``)."""
    return {"type": TABLE_SORT_REQUEST, "table": name}


def data_id(name: str) -> dict:
    """Id of the store holding a table's columns, rows and CSV description."""
    return {"type": TABLE_DATA, "table": name}


def table_block(
    name: str,
    caption: str,
    data: dict | None = None,
    filterable: bool = False,
    max_height: str = "28rem",
    csv_label: str = "Download CSV",
) -> html.Div:
    """A table with its caption, optional filter, download button and store.

    The table sits in a focusable scroll region (keyboard users can scroll it; WCAG 2.1.1)
    with a sticky header."""
    controls = []
    if filterable:
        controls.append(
            html.Div(
                [
                    html.Label(
                        f"Filter {caption[:1].lower() + caption[1:]}",
                        className="visually-hidden",
                        htmlFor=dom_id({"type": TABLE_FILTER, "table": name}),
                    ),
                    dbc.Input(
                        id={"type": TABLE_FILTER, "table": name},
                        type="search",
                        debounce=True,
                        size="sm",
                        placeholder="Filter rows (any column)",
                    ),
                ],
                className="me-2",
                style={"maxWidth": "18rem"},
            )
        )
    else:
        # the update callback takes every table's filter as an input (MATCH): a table without
        # one still needs the component, or Dash refuses the callback for that table
        controls.append(dcc.Input(id={"type": TABLE_FILTER, "table": name}, type="hidden", value=""))
    controls.append(
        html.Button(
            csv_label,
            id={"type": TABLE_CSV_BUTTON, "table": name},
            type="button",
            className="btn btn-outline-secondary btn-sm",
        )
    )
    return html.Div(
        [
            html.Div(controls, className="d-flex align-items-center flex-wrap gap-1 mb-1"),
            html.Div(id={"type": TABLE_COUNT, "table": name}, className="small text-muted", **{"aria-live": "polite"}),
            html.Div(
                render(data or {}, caption, name, None, ""),
                id={"type": TABLE_BODY, "table": name},
                className="nm-table-region",
                tabIndex="0",
                role="region",
                style={"maxHeight": max_height},
                **{"aria-label": caption},
            ),
            dcc.Store(id=data_id(name), data=data),
            dcc.Store(id={"type": TABLE_SORT_STATE, "table": name}, data=None),
            dcc.Store(id=sort_request_id(name), data={}),  # None would be written back on mount: a request
            dcc.Download(id={"type": TABLE_DOWNLOAD, "table": name}),
        ],
        className="mb-3",
        **{"data-caption": caption},
    )


def _sort_key(value):
    """Numbers before text, missing values last, whatever the direction."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return (2, 0, "")
    if isinstance(value, (int, float)):
        return (0, float(value), "")
    text = str(value).lstrip("'")
    try:
        return (0, float(text.replace(",", "").rstrip("%")), "")
    except ValueError:
        return (1, 0, text.lower())


def filtered_sorted(data: dict, sort: dict | None, query: str) -> list[dict]:
    """Rows matching ``query`` (case-insensitive, any column), sorted by ``sort``
    ({"col", "dir": "ascending"|"descending"}); missing values stay last.

    >>> data = {"columns": [{"id": "a", "name": "A"}], "rows": [{"a": 2}, {"a": None}, {"a": 10}]}
    >>> [r["a"] for r in filtered_sorted(data, {"col": "a", "dir": "descending"}, "")]
    [10, 2, None]
    """
    rows = list(data.get("rows") or [])
    query = (query or "").strip().lower()
    if query:
        rows = [r for r in rows if any(query in str(v).lower() for v in r.values() if v is not None)]
    if sort and sort.get("col"):
        col = sort["col"]
        present = [r for r in rows if _sort_key(r.get(col))[0] < 2]
        missing = [r for r in rows if _sort_key(r.get(col))[0] == 2]
        present.sort(key=lambda r: _sort_key(r.get(col)), reverse=sort.get("dir") == "descending")
        rows = present + missing
    return rows


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render(data: dict, caption: str, name: str, sort: dict | None, query: str):
    """The HTML table for a store's content (empty paragraph when there are no columns)."""
    columns = [c for c in data.get("columns") or [] if not c.get("csv_only")]  # csv_only: in the download only
    if not columns:
        return html.P(data.get("empty", "Nothing to show."), className="small text-muted mb-0")
    rows = filtered_sorted(data, sort, query)
    return dcc.Markdown(table_html(columns, rows, caption, name, sort), dangerously_allow_html=True)


def _attr(value) -> str:
    return html_text.escape(str(value), quote=True)


def _text(value) -> str:
    # no blank line may end the raw HTML block early, and no cell may carry markup
    if value is None or isinstance(value, (int, float)):  # digits, separators and "—": nothing to escape
        return _cell(value)
    return html_text.escape(_cell(value)).replace("\n", " ").replace("\r", " ")


def plain_table(header: list, rows: list[list], caption: str) -> dcc.Markdown:
    """A small read-only table (a chart's text alternative) as one block of escaped HTML.

    >>> plain_table(["A", "B"], [["x<y", 1]], "Cap").children
    '<table class="table table-sm small mb-0"><caption class="visually-hidden">Cap</caption><thead><tr><th scope="col">A</th><th scope="col">B</th></tr></thead><tbody><tr><th scope="row" class="fw-normal">x&lt;y</th><td>1</td></tr></tbody></table>'
    """
    head = "".join(f'<th scope="col">{_text(h)}</th>' for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<th scope="row" class="fw-normal">{_text(v)}</th>' if i == 0 else f"<td>{_text(v)}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return dcc.Markdown(
        '<table class="table table-sm small mb-0">'
        f'<caption class="visually-hidden">{html_text.escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>",
        dangerously_allow_html=True,
    )


def table_html(columns: list[dict], rows: list[dict], caption: str, name: str, sort: dict | None) -> str:
    """The table as escaped HTML: header buttons that sort, the first column as row headers.

    >>> print(table_html([{"id": "a", "name": "A<b>"}], [{"a": "x & y"}], "Cap", "t", None))
    <table class="table table-sm table-hover small mb-0 nm-table"><caption class="visually-hidden">Cap</caption><thead><tr><th scope="col" aria-sort="none"><button type="button" class="nm-sort" id="{&quot;col&quot;:&quot;a&quot;,&quot;table&quot;:&quot;t&quot;,&quot;type&quot;:&quot;tbl-sort&quot;}" data-table="t" data-col="a" title="Sort by A&lt;b&gt;">A&lt;b&gt;<span aria-hidden="true"></span></button></th></tr></thead><tbody><tr><th scope="row" class="fw-normal">x &amp; y</th></tr></tbody></table>
    """
    head = []
    for c in columns:
        direction = sort.get("dir") if sort and sort.get("col") == c["id"] else None
        arrow = {"ascending": " ▲", "descending": " ▼"}.get(direction or "", "")
        button_id = dom_id({"type": TABLE_SORT, "table": name, "col": c["id"]})
        head.append(
            f'<th scope="col" aria-sort="{direction or "none"}"><button type="button" class="nm-sort" '
            f'id="{_attr(button_id)}" data-table="{_attr(name)}" data-col="{_attr(c["id"])}" '
            f'title="{_attr("Sort by " + str(c["name"]))}">{html_text.escape(str(c["name"]))}'
            f'<span aria-hidden="true">{arrow}</span></button></th>'
        )
    first, *rest = [c["id"] for c in columns]
    body = []
    for r in rows:
        cells = f'<th scope="row" class="fw-normal">{_text(r.get(first))}</th>' + "".join(
            f"<td>{_text(r.get(c))}</td>" for c in rest
        )
        row_class = f' class="{_attr(r["_class"])}"' if r.get("_class") else ""
        body.append(f"<tr{row_class}>{cells}</tr>")
    return (
        '<table class="table table-sm table-hover small mb-0 nm-table">'
        f'<caption class="visually-hidden">{html_text.escape(caption)}</caption>'
        f"<thead><tr>{''.join(head)}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def to_csv(data: dict) -> str:
    """The rows as CSV: the ``#`` header block, then the columns by their on-screen names."""
    out = io.StringIO()
    for line in (data.get("csv") or {}).get("about", []):
        if line.startswith("Link: ?") and has_request_context():  # made at start-up: no address yet
            line = f"Link: {request.host_url}{line.removeprefix('Link: ')}"
        # one physical line per header line: a line break (or any control character) in a label
        # written into the header would start a line a spreadsheet reads as a formula
        out.write("# " + CONTROL_CHARACTERS.sub(" ", str(line)) + "\n")
    writer = csv.writer(out)
    columns = data.get("columns") or []
    writer.writerow([c["name"] for c in columns])
    for r in data.get("rows") or []:
        writer.writerow(["" if r.get(c["id"]) is None else r.get(c["id"]) for c in columns])
    return out.getvalue()


def table_outputs(name: str) -> dict:
    """What a page callback writes a table through: its store and, rendered from it, the body,
    sort state and row count (a dict grouping for ``app.callback(output=...)``)."""
    return {
        "data": Output(data_id(name), "data"),
        "body": Output({"type": TABLE_BODY, "table": name}, "children"),
        "sort": Output({"type": TABLE_SORT_STATE, "table": name}, "data"),
        "count": Output({"type": TABLE_COUNT, "table": name}, "children"),
    }


def table_shown(name: str) -> dict:
    """How a table is shown now (sort, filter text, caption): the states ``table_update`` reads."""
    return {
        "sort": State({"type": TABLE_SORT_STATE, "table": name}, "data"),
        "query": State({"type": TABLE_FILTER, "table": name}, "value"),
        "caption": State({"type": TABLE_BODY, "table": name}, "aria-label"),
    }


# a table output grouping left as it is
TABLE_UNCHANGED = {"data": no_update, "body": no_update, "sort": no_update, "count": no_update}


def _shown_table(data: dict, sort, query, caption, name: str) -> tuple:
    """The body and row count of ``data`` as sorted and filtered now; the sort kept as given
    when it is a sort (the browser sends it: anything else is no sort)."""
    sort = sort if isinstance(sort, dict) and isinstance(sort.get("col"), str) else None
    query = query if isinstance(query, str) else ""
    caption = caption if isinstance(caption, str) else ""
    shown = len(filtered_sorted(data, sort, query))
    total = len(data.get("rows") or [])
    count = f"{shown} of {total} rows" if query else ""
    return render(data, caption, name, sort, query), sort, count


def table_update(name: str, data: dict, shown: dict) -> dict:
    """The outputs of ``table_outputs(name)`` for new rows, shown as the table is (``shown``:
    the values of ``table_shown(name)``).

    >>> data = {"columns": [{"id": "a", "name": "A"}], "rows": [{"a": 2}, {"a": 10}]}
    >>> out = table_update("t", data, {"sort": {"col": "a", "dir": "descending"}, "query": "1"})
    >>> out["sort"], out["count"], out["data"] is data
    ({'col': 'a', 'dir': 'descending'}, '1 of 2 rows', True)
    """
    body, sort, count = _shown_table(data, shown.get("sort"), shown.get("query"), shown.get("caption"), name)
    return {"data": data, "body": body, "sort": sort, "count": count}


def register(app) -> None:
    """One set of callbacks for every table on every page (pattern-matching ids): a header
    press or new filter text renders the table again; the CSV button downloads its rows."""

    @app.callback(
        Output({"type": TABLE_BODY, "table": MATCH}, "children"),
        Output({"type": TABLE_SORT_STATE, "table": MATCH}, "data"),
        Output({"type": TABLE_COUNT, "table": MATCH}, "children"),
        Input({"type": TABLE_SORT_REQUEST, "table": MATCH}, "data"),
        Input({"type": TABLE_FILTER, "table": MATCH}, "value"),
        State({"type": TABLE_DATA, "table": MATCH}, "data"),
        State({"type": TABLE_SORT_STATE, "table": MATCH}, "data"),
        State({"type": TABLE_BODY, "table": MATCH}, "aria-label"),
        prevent_initial_call=True,
    )
    def update(request, query, data, sort, caption):
        trigger = ctx.triggered_id
        name = trigger.get("table") if isinstance(trigger, dict) else None
        data = data if isinstance(data, dict) else {}
        if isinstance(trigger, dict) and trigger.get("type") == TABLE_SORT_REQUEST:
            col = request.get("col") if isinstance(request, dict) else None
            columns = {c.get("id") for c in data.get("columns") or [] if isinstance(c, dict)}
            if col not in columns:  # a request for a column this table does not have
                return no_update, no_update, no_update
            direction = (
                "descending"
                if isinstance(sort, dict) and sort.get("col") == col and sort.get("dir") == "ascending"
                else "ascending"
            )
            sort = {"col": col, "dir": direction}
        return _shown_table(data, sort, query, caption, name or "")

    @app.callback(
        Output({"type": TABLE_DOWNLOAD, "table": MATCH}, "data"),
        Input({"type": TABLE_CSV_BUTTON, "table": MATCH}, "n_clicks"),
        State({"type": TABLE_DATA, "table": MATCH}, "data"),
        prevent_initial_call=True,
    )
    def download(clicks, data):
        if not clicks or not isinstance(data, dict) or not data.get("columns"):
            return no_update
        filename = (data.get("csv") or {}).get("filename") or "needs-map-table.csv"
        return {"content": to_csv(data), "filename": filename, "type": "text/csv"}
