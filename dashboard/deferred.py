"""``Deferred``: a page body that the browser renders when its page is first shown, or once the
page shown has drawn its graphs and the browser is idle, whichever comes first
(``assets/late/deferred.js``).

Why: Dash renders every component of the layout before the first map is drawn, hidden pages
included; the Access page alone is about half the page's components. A hidden page's
components stay in Dash's layout, so every callback reads and writes them as before; only
React's work for them waits. The page shown at load renders at once.
"""

from __future__ import annotations

from dash.development.base_component import Component


class Deferred(Component):
    """Children rendered by React once their tab panel is shown, or later when the browser is idle.

    >>> from dash import html
    >>> Deferred([html.P("Later")]).to_plotly_json()["namespace"]
    'needs_map'
    """

    _namespace = "needs_map"
    _type = "Deferred"
    _prop_names = ["children", "id", "rendered"]
    _valid_wildcard_attributes: list[str] = []
    available_properties = ["children", "id", "rendered"]
    available_wildcard_properties: list[str] = []
    _children_props: list[str] = []
    _base_nodes = ["children"]

    def __init__(self, children=None, **kwargs):
        super().__init__(children=children, **kwargs)
