"""Build the POST bodies Dash's renderer sends to /_dash-update-component, from an app's
callback map and layout, so a benchmark or a load test can drive a callback over HTTP
exactly as a browser would."""

from __future__ import annotations

import json


def _walk(component, found: dict) -> None:
    cid = getattr(component, "id", None)
    if cid is not None:
        found[json.dumps(cid, sort_keys=True, separators=(",", ":")) if isinstance(cid, dict) else cid] = component
    children = getattr(component, "children", None)
    if isinstance(children, (list, tuple)):
        for child in children:
            _walk(child, found)
    elif children is not None and hasattr(children, "to_plotly_json"):
        _walk(children, found)


def components(app) -> dict:
    found: dict = {}
    _walk(app.layout, found)
    return found


def _wildcard(pattern: dict) -> bool:
    """A pattern-matching id (ALL somewhere) rather than a plain dict id."""
    return any(isinstance(v, list) for v in pattern.values())


def _matches(pattern: dict, cid: dict) -> bool:
    return set(pattern) == set(cid) and all(v == ["ALL"] or cid[k] == v for k, v in pattern.items())


class CallbackRequests:
    """Request bodies for one callback (found by its first output), with the layout's values
    as the defaults and ``values`` overriding them."""

    def __init__(self, app, first_output: str):
        self.key = next(k for k in app.callback_map if k.lstrip(".").startswith(first_output))
        self.spec = app.callback_map[self.key]
        self.comps = components(app)
        # each dict id parsed once, and each pattern's matching components found once: a load
        # test builds thousands of bodies on the cores the server uses (a browser does this
        # work on its own machine), and parsing every id again for every body was most of it
        self._parsed = {key: json.loads(key) for key in self.comps if key.startswith("{")}
        self._matching: dict[str, list[str]] = {}

    def _matches_of(self, cid: str) -> list[str]:
        if cid not in self._matching:
            pattern = json.loads(cid)
            self._matching[cid] = [key for key, parsed in self._parsed.items() if _matches(pattern, parsed)]
        return self._matching[cid]

    def _entry(self, dep: dict, values: dict):
        cid, prop = dep["id"], dep["property"]
        if cid.startswith("{") and not _wildcard(json.loads(cid)):
            comp = self.comps.get(cid)
            value = values.get((cid, prop), getattr(comp, prop, None))
            return {"id": json.loads(cid), "property": prop, "value": value}
        if cid.startswith("{"):
            return [
                {
                    "id": self._parsed[key],
                    "property": prop,
                    "value": values.get((key, prop), getattr(self.comps[key], prop, None)),
                }
                for key in self._matches_of(cid)
            ]
        value = values.get((cid, prop), getattr(self.comps.get(cid), prop, None))
        return {"id": cid, "property": prop, "value": value}

    def _outputs(self):
        parts = self.key.strip(".").split("...") if self.key.startswith("..") else [self.key]
        outs = []
        for part in parts:
            ident, prop = part.rsplit(".", 1)
            prop = prop.split("@")[0]
            if ident.startswith("{") and not _wildcard(json.loads(ident)):
                outs.append({"id": json.loads(ident), "property": prop})
            elif ident.startswith("{"):
                pattern = json.loads(ident)
                outs.append(
                    [
                        {"id": json.loads(k), "property": prop}
                        for k in self.comps
                        if k.startswith("{") and _matches(pattern, json.loads(k))
                    ]
                )
            else:
                outs.append({"id": ident, "property": prop})
        return outs if self.key.startswith("..") else outs[0]

    def body(self, values: dict, changed: list[str]) -> dict:
        return {
            "output": self.key,
            "outputs": self._outputs(),
            "inputs": [self._entry(d, values) for d in self.spec["inputs"]],
            "state": [self._entry(d, values) for d in self.spec["state"]],
            "changedPropIds": changed,
        }
