"""The dashboard view state: what the user is looking at, kept in the browser (dcc.Store and the
URL query string), never on the server.

``ViewState`` is the view's model: its keys and types, checked by mypy where a view is built
or read and by pydantic (``VIEW_STATE_MODEL``) when a browser sends one back. ``decode`` turns
any query string, however malformed or stale, into a valid state plus a list of notices saying
what was ignored; ``encode`` is its inverse. Pure functions of
the engine, so they are unit-tested without a browser. It lives in the engine, not in
dashboard/, because the CLI prints the same links (briefings) without Dash.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast
from urllib.parse import parse_qs, urlencode

from pydantic import TypeAdapter, ValidationError

# pydantic reads a TypedDict as a model only from typing_extensions before Python 3.12
from typing_extensions import TypedDict

from geo.errors import NeedsMapError
from geo.scenario import CONTROL_CHARACTERS, parse_added_site
from geo.store import ID_PATTERN, ScenarioStore, StoreError

PAGES = ("needs", "access", "options", "sites", "about")
NEED_INDEX = "need_index"
MAX_ADDED = 20
MAX_QUERY = 8_000  # characters of a link's query string
# characters of a view that is not a link: the page's own state (dcc.Store) or a stored short
# link's view. The largest view the interface can build (20 added sites with 80-character
# labels in a non-Latin script, percent-encoded) is about 20,000.
MAX_STATE_QUERY = 60_000
# The Options page's choices: presets, the Access page's scenario, saved scenarios. A view may
# hold fewer than the two an appraisal needs (the page says so) and up to this many.
OPTION_VIEW = "view"
MAX_OPTION_CHOICES = 20


class ViewState(TypedDict):
    """A view: every key a page, a link, a saved scenario and a briefing read (``default_state``
    gives each its default; ``decode`` and ``from_store`` check each one)."""

    page: str  # one of PAGES
    ind: str  # an indicator id, or NEED_INDEX
    level: str  # "ward", "lsoa" or "lsoa_current"
    base: str  # the scenario started from (a preset id)
    open: list[str]  # register sites opened on top of it
    close: list[str]  # sites closed
    add: list[str]  # sites added, "LABEL@POSTCODE" or "LABEL@LAT,LON"
    move: dict[str, str]  # site id -> "LABEL@WHERE"
    mode: str  # a travel mode id
    unit: str  # "minutes" or "km"
    threshold: float
    pop: str  # a population field id
    wards: str  # a ward set id
    cmp: str  # the comparison's preset id, or "none"
    colour: str  # what the Access map colours by
    w: dict[str, float]  # need-index weights
    tiles: bool  # the street basemap
    ward: str | None  # a ward the view zooms to (the ward finder)
    labels: bool  # ward names on the maps
    cap: dict[str, float]  # site id -> capacity in people
    opts: list[str] | None  # the Options page's choices (None: its first ones)
    optbase: str | None  # the option the others are compared with (None: the first chosen)
    name: str | None  # the scenario's given name
    named: str | None  # the fingerprint of the sites the name was given to


# The view's run-time model: every key's type, checked strictly (a number is not read from a text,
# nor a flag from a number). What the values mean for this bundle (a known site, a valid
# threshold) is checked by ``decode``.
VIEW_STATE_MODEL: TypeAdapter[ViewState] = TypeAdapter(ViewState)


def default_options(engine) -> list[str]:
    """The Options page's first choices: the bundle's first two presets (or its one preset and
    the Access page's scenario).

    >>> default_options(engine)
    ['preset:current_2020', 'preset:proposed_2020']
    """
    return ([f"preset:{n}" for n in engine.scenario_names()] + [OPTION_VIEW])[:2]


def default_state(engine) -> ViewState:
    """The view a new visitor sees: the manifest's ``[dashboard] start_scenario`` against its
    ``compare_with`` (default: the bundle's last scenario against its first), default mode,
    threshold and population."""
    names = engine.scenario_names()
    travel = engine.bundle.manifest["travel"]
    board = engine.bundle.manifest.get("dashboard", {})
    start = board.get("start_scenario") if board.get("start_scenario") in names else names[-1]
    compare = board.get("compare_with") if board.get("compare_with") in [*names, "none"] else None
    return {
        "page": "needs",
        "ind": NEED_INDEX if engine.has_need_index else first_indicator(engine),
        "level": "ward",
        "base": start,
        "open": [],
        "close": [],
        "add": [],
        "move": {},
        "mode": travel.get("default_mode", next(iter(engine.modes))),
        "unit": "minutes",
        "threshold": engine.default_minutes,
        "pop": engine.default_population,
        "wards": engine.primary_ward_set,
        "cmp": compare or (names[0] if len(names) > 1 else "none"),
        "colour": "minutes",
        "w": dict(engine.bundle.manifest.get("need_index", {}).get("weights", {})),
        "tiles": False,
        "ward": None,  # a ward of the chosen set that the view zooms to (the ward finder), or None
        "labels": False,  # ward names on the maps
        "cap": {},  # site id -> capacity in people, set for this scenario (overrides the register)
        # The Options page's choices (None: its first choices, ``default_options``) and the option
        # the others are compared with (None: the first chosen); ``chosen_options`` resolves them.
        "opts": None,
        "optbase": None,
        # The scenario's given name (a saved scenario's, once opened) and the fingerprint of the
        # sites it names (``scenario_fingerprint``): changed sites make it "<name>, modified".
        "name": None,
        "named": None,
    }


def chosen_options(engine, state: ViewState) -> tuple[list[str], str | None]:
    """The Options page's chosen options and baseline of a view, its defaults resolved.

    >>> chosen_options(engine, default_state(engine))
    (['preset:current_2020', 'preset:proposed_2020'], 'preset:current_2020')
    >>> chosen_options(engine, {**default_state(engine), "opts": ["view", "preset:current_2020"], "optbase": None})
    (['view', 'preset:current_2020'], 'view')
    """
    opts = state.get("opts")
    chosen = default_options(engine) if opts is None else list(opts)
    baseline = state.get("optbase")
    return chosen, baseline if baseline in chosen else (chosen[0] if chosen else None)


def indicator_ids(engine) -> list[str]:
    """Ids a view may show: the need index (when the bundle defines one) and every indicator."""
    return [NEED_INDEX, *engine.bundle.indicators] if engine.has_need_index else [*engine.bundle.indicators]


def first_indicator(engine) -> str:
    """The view's indicator when the bundle has no need index: its first LSOA indicator of need."""
    specs = engine.bundle.indicators
    need = [i for i, s in specs.items() if s.level != "ward" and s.direction != "none"]
    return (need or list(specs))[0]


def encode(state: ViewState) -> str:
    """The view as a link's query string (``?page=...``); ``decode`` reads it back."""
    params = {
        "page": state["page"],
        "ind": state["ind"],
        "level": state["level"],
        "base": state["base"] or "none",
        "mode": state["mode"],
        state["unit"]: f"{state['threshold']:g}",
        "pop": state["pop"],
        "cmp": state["cmp"] or "none",
    }
    if state.get("wards"):
        params["wards"] = state["wards"]
    if state.get("colour", "minutes") != "minutes":
        params["colour"] = state["colour"]
    if state.get("tiles"):
        params["tiles"] = "1"
    ward = state.get("ward")
    if ward:
        params["ward"] = ward
    if state.get("labels"):
        params["labels"] = "1"
    if state["open"]:
        params["open"] = ",".join(state["open"])
    if state["close"]:
        params["close"] = ",".join(state["close"])
    if state["add"]:
        params["add"] = "|".join(_escape(spec) for spec in state["add"])
    if state["move"]:
        params["move"] = "|".join(f"{k}={_escape(v)}" for k, v in sorted(state["move"].items()))
    if state.get("w"):
        params["w"] = ",".join(f"{k}:{v:g}" for k, v in state["w"].items())
    if state.get("cap"):
        params["cap"] = ",".join(f"{k}:{v:g}" for k, v in sorted(state["cap"].items()))
    opts, optbase, name = state.get("opts"), state.get("optbase"), state.get("name")
    if opts is not None:  # the Options page's choices, once the user made them
        params["opts"] = ",".join(opts) or "none"
        if optbase is not None and opts and optbase != opts[0]:
            params["optbase"] = optbase
    if name:
        params["name"] = name
        params["named"] = state["named"] or ""
    return "?" + urlencode(params, safe=",:|@=")


MAX_NAME = 80
_FINGERPRINT = re.compile(r"^[0-9a-f]{8}$")


def scenario_fingerprint(state: ViewState) -> str:
    """Eight hex digits that change whenever the state's sites change (base, opened, closed,
    added, moved): a name given to one set of sites is not carried to another.

    >>> a = {"base": "p", "open": [], "close": ["x"], "add": [], "move": {}}
    >>> scenario_fingerprint(a) == scenario_fingerprint({**a, "mode": "car"})
    True
    >>> scenario_fingerprint(a) == scenario_fingerprint({**a, "close": []})
    False
    """
    import hashlib

    sites = (
        state["base"],
        sorted(state["open"]),
        sorted(state["close"]),
        list(state["add"]),
        sorted(state["move"].items()),
    )
    return hashlib.sha256(repr(sites).encode()).hexdigest()[:8]


def clean_name(name: str) -> str | None:
    """A scenario name fit to print: trimmed, at most ``MAX_NAME`` characters, no control or
    bidirectional-override characters; None when it is not.

    >>> clean_name("  Two hubs  "), clean_name("a" + chr(10) + "b"), clean_name("")
    ('Two hubs', None, None)
    """
    name = str(name).strip()
    return name if 0 < len(name) <= MAX_NAME and not CONTROL_CHARACTERS.search(name) else None


def named(state: ViewState, name: str) -> ViewState:
    """The state with its sites given ``name``."""
    return {**state, "name": name, "named": scenario_fingerprint(state)}


def scenario_name(state: ViewState) -> str | None:
    """What the state's scenario is called by its name: the name while its sites are those it
    was given to, "<name>, modified" after they change; None for an unnamed scenario."""
    if not state.get("name"):
        return None
    return state["name"] if state.get("named") == scenario_fingerprint(state) else f"{state['name']}, modified"


_POP_ID = re.compile(r"^(?:age(\d{1,3})-(\d{1,3})|age(\d{1,3})plus|all)_(\d{4})$")


def population_from_id(engine, value: str) -> str | None:
    """A population field id from a link: a field the bundle has, or an age band and year it
    can make (``age3-7_2019``); None when neither."""
    if value in engine.bundle.population_fields:
        return value
    match = _POP_ID.match(value)
    if not match or engine.bundle.age_tables is None:
        return None
    low, high, plus, year = match.groups()
    ages = f"{low}-{high}" if low is not None else (f"{plus}+" if plus is not None else "all")
    try:
        return engine.population_field(ages, year)
    except NeedsMapError:
        return None


def _one(query: dict, key: str) -> str | None:
    values = query.get(key)
    return values[-1] if values else None


# Link parameters that name one of a set of choices: (parameter, what it is, the choices).
# The order matters: the level is checked after the indicator, a ward after its ward set.
CHOICES: tuple[tuple[str, str, Callable[[Any], Iterable[str]]], ...] = (
    ("page", "page", lambda engine: PAGES),
    ("ind", "indicator", indicator_ids),
    ("level", "level", lambda engine: engine.levels),
    ("base", "scenario", lambda engine: [*engine.bundle.scenarios, "none"]),
    ("cmp", "comparison scenario", lambda engine: [*engine.bundle.scenarios, "none"]),
    ("mode", "travel mode", lambda engine: engine.modes),
    ("wards", "ward set", lambda engine: engine.ward_sets),
    ("colour", "map colouring", lambda engine: ("minutes", "change", "catchment", "added")),
)
FLAGS = (("tiles", "basemap option"), ("labels", "ward names option"))  # "0" or "1"


def _escape(spec: str) -> str:
    """A site spec inside a '|'-separated list: its own '|' (and '%') percent-escaped, so a
    label is data, never syntax (``_unescape`` undoes it after the list is split).

    >>> _unescape(_escape("A|B 100%@LU1 3QZ"))
    'A|B 100%@LU1 3QZ'
    """
    return spec.replace("%", "%25").replace("|", "%7C")


def _unescape(item: str) -> str:
    return item.replace("%7C", "|").replace("%7c", "|").replace("%25", "%")


def decode(engine, search: str | None, max_query: int = MAX_QUERY) -> tuple[ViewState, list[str]]:
    """A valid state from a query string, and notices for every part that was ignored.
    ``max_query`` is the longest query read (a view stored server-side may be longer than
    a link can be).

    >>> decode(engine, "?page=access&mode=teleport")[1]
    ["The link's travel mode 'teleport' is not valid here and was ignored."]
    """
    state = default_state(engine)
    notices: list[str] = []
    if not isinstance(search, str):
        return state, ([] if search is None else ["The view could not be read; showing the default view."])
    if len(search) > max_query:
        return state, [f"The link is longer than {max_query:,} characters; showing the default view."]
    if not search or search in ("?", ""):
        return state, notices
    try:
        query = parse_qs(search.lstrip("?"), keep_blank_values=True, max_num_fields=50)
    except ValueError:
        return state, ["The link could not be read; showing the default view."]

    def bad(what: str, value) -> None:
        notices.append(f"The link's {what} {str(value)[:60]!r} is not valid here and was ignored.")

    for key, what, choices in CHOICES:
        value = _one(query, key)
        if value is not None:
            if value in choices(engine):
                cast(dict[str, Any], state)[key] = value  # (keys from the CHOICES table)
            else:
                bad(what, value)
    # a figure published by ward only is shown by ward; one of the current LSOAs by those
    state["level"] = engine.shown_level(state["ind"], state["level"])[0]
    _decode_options(engine, query, state, bad)
    _decode_threshold(engine, query, state, bad)
    _decode_sites(engine, query, state, bad, notices)
    _decode_weights(engine, query, state, bad, notices)
    _decode_capacity(engine, query, state, bad)
    _decode_option_choices(engine, query, state, bad)
    _decode_name(query, state, bad)
    return state, collapse_notices(notices)


def _decode_name(query: dict, state: ViewState, bad) -> None:
    """The scenario's name and the fingerprint of the sites it was given to."""
    name, fingerprint = _one(query, "name"), _one(query, "named")
    if name is None:
        return
    if clean_name(name) is None:
        bad("scenario name", name)
    elif fingerprint is None or not _FINGERPRINT.match(fingerprint):
        bad("scenario name's fingerprint", fingerprint or "")
    else:
        state["name"], state["named"] = clean_name(name), fingerprint


def collapse_notices(notices: list[str], most: int = 5) -> list[str]:
    """Repeated notices as one line with a count, and at most ``most`` lines (a link with
    thousands of bad parts must not give thousands of lines).

    >>> collapse_notices(["a", "b", "a", "a"])
    ['a (3 times)', 'b']
    """
    counts: dict[str, int] = {}
    for notice in notices:
        counts[notice] = counts.get(notice, 0) + 1
    lines = [n if k == 1 else f"{n} ({k:,} times)" for n, k in counts.items()]
    if len(lines) > most:
        lines = lines[: most - 1] + [f"... and {len(lines) - most + 1:,} more problems with the link were ignored."]
    return lines


def _decode_options(engine, query: dict, state: ViewState, bad) -> None:
    """On/off options, the population, and a found ward (which must be of the chosen ward set)."""
    for key, what in FLAGS:
        value = _one(query, key)
        if value is not None:
            if value in ("0", "1"):
                cast(dict[str, Any], state)[key] = value == "1"  # (keys from the FLAGS table)
            else:
                bad(what, value)
    pop = _one(query, "pop")
    if pop is not None:
        field = population_from_id(engine, pop)
        if field:
            state["pop"] = field
        else:
            bad("population", pop)
    ward = _one(query, "ward")
    if ward is not None:
        if ward in engine.ward_sets[state["wards"]].names:
            state["ward"] = ward
        else:
            bad("ward", ward)


def _decode_threshold(engine, query: dict, state: ViewState, bad) -> None:
    for unit in ("minutes", "km"):
        raw = _one(query, unit)
        if raw is None:
            continue
        try:
            value = float(raw)
            minutes, km = (value, None) if unit == "minutes" else (None, value)
            engine.check_options(state["mode"], minutes, km, "none", state["pop"])
            state["unit"], state["threshold"] = unit, value
        except (ValueError, NeedsMapError):
            bad(f"threshold ({unit})", raw)


def _decode_sites(engine, query: dict, state: ViewState, bad, notices: list[str]) -> None:
    """Opened, closed, added and moved sites."""
    for key in ("open", "close"):
        for site in (_one(query, key) or "").split(",") if _one(query, key) else []:
            if site not in engine.bundle.sites.index:
                bad("site", site)
            elif site not in state[key]:  # a site listed twice is the same site
                state[key].append(site)
    clash = set(state["open"]) & set(state["close"])
    if clash:
        notices.append(
            "The link both opened and closed " + ", ".join(sorted(clash)) + "; they were left as in the preset."
        )
        state["open"] = [s for s in state["open"] if s not in clash]
        state["close"] = [s for s in state["close"] if s not in clash]
    for item in (_one(query, "add") or "").split("|")[:MAX_ADDED] if _one(query, "add") else []:
        item = _unescape(item)
        try:
            engine.scenario(None, add=[item])
            state["add"].append(parse_added_site(item).to_spec())
        except NeedsMapError as exc:
            notices.append(f"An added site in the link was ignored: {exc}")
    for item in (_one(query, "move") or "").split("|") if _one(query, "move") else []:
        site, _, where = item.partition("=")
        where = _unescape(where)
        try:
            engine.scenario(None, move={site: where})
            state["move"][site] = parse_added_site(where).to_spec()
        except NeedsMapError as exc:
            notices.append(f"A moved site in the link was ignored: {exc}")


def _decode_weights(engine, query: dict, state: ViewState, bad, notices: list[str]) -> None:
    raw = _one(query, "w")
    if raw is None:
        return
    weights = {}
    for item in raw.split(","):
        name, _, value = item.partition(":")
        try:
            number = float(value)
            if name not in engine.bundle.indicators or not math.isfinite(number) or number < 0:
                raise ValueError
            weights[name] = number
        except ValueError:
            bad("need-index weight", item)
    try:
        engine.need_index(weights)
        state["w"] = weights
    except NeedsMapError as exc:
        notices.append(f"The link's need-index weights were ignored: {exc}")


MAX_CAPACITY = 10_000_000  # people: beyond any site's capacity, short of a typo's 1e308


def _decode_capacity(engine, query: dict, state: ViewState, bad) -> None:
    """Site capacities set for the scenario: ``cap=site:people,site:people``."""
    raw = _one(query, "cap")
    if raw is None:
        return
    for item in raw.split(","):
        site, _, value = item.partition(":")
        try:
            number = float(value)
            if site not in engine.bundle.sites.index or not (math.isfinite(number) and 0 <= number <= MAX_CAPACITY):
                raise ValueError
            state["cap"][site] = number
        except ValueError:
            bad("site capacity", item)


def _decode_option_choices(engine, query: dict, state: ViewState, bad) -> None:
    """The Options page's choices (``opts=preset:a,view,saved:<id>`` or ``opts=none``) and
    baseline (``optbase=``, one of them). A saved scenario's id is checked for its form here;
    whether it still exists is said on the Options page, which has the database."""
    raw, baseline = _one(query, "opts"), _one(query, "optbase")
    if raw is None and baseline is None:
        return
    presets = {f"preset:{n}" for n in engine.scenario_names()}
    chosen: list[str] = []
    if raw is None:  # a baseline alone: one of the first choices
        items = default_options(engine)
    else:
        items = [] if raw == "none" else raw.split(",")
    for item in items:
        saved = item.startswith("saved:") and ID_PATTERN.match(item.removeprefix("saved:"))
        if item not in presets and item != OPTION_VIEW and not saved:
            bad("option", item)
        elif item not in chosen:  # an option listed twice is one option
            chosen.append(item)
    if len(chosen) > MAX_OPTION_CHOICES:
        bad("options", f"{len(chosen)} options (at most {MAX_OPTION_CHOICES})")
        return
    if baseline is not None and baseline not in chosen:
        bad("baseline option", baseline)
        baseline = None
    if raw is not None or baseline is not None:
        state["opts"], state["optbase"] = chosen, baseline


def from_store(engine, data) -> tuple[ViewState, list[str]]:
    """A valid state from a view state sent back by a browser (dcc.Store), which a modified
    browser may have tampered with: each key's type is checked by the model (a key of the wrong
    type is reset to its default, and a notice names it; the others are kept), then the whole
    view goes through the same checks as a link.

    >>> state, notices = from_store(engine, {**default_state(engine), "threshold": "twenty", "close": ["denbigh"]})
    >>> state["threshold"], state["close"], notices
    (20.0, ['denbigh'], ["The view's threshold could not be read (Input should be a valid number) and was reset."])
    """
    if data is None:
        return default_state(engine), []
    if not isinstance(data, dict):
        return default_state(engine), ["The view could not be read; showing the default view."]
    merged = default_state(engine)
    given = {k: v for k, v in data.items() if k in merged}
    notices: list[str] = []
    try:
        merged = VIEW_STATE_MODEL.validate_python({**merged, **given}, strict=True)
    except ValidationError as exc:
        wrong: dict[str, str] = {}
        for error in exc.errors():
            wrong.setdefault(str(error["loc"][0]), error["msg"])
        notices = [f"The view's {key} could not be read ({msg}) and was reset." for key, msg in sorted(wrong.items())]
        cast(dict[str, Any], merged).update({k: v for k, v in given.items() if k not in wrong})
    try:
        search = encode(merged)
    except (TypeError, ValueError, AttributeError, KeyError):
        return default_state(engine), ["The view could not be read; showing the default view."]
    state, decoded = decode(engine, search, max_query=MAX_STATE_QUERY)
    return state, collapse_notices(notices + decoded)


def base_scenario_id(engine, state: ViewState) -> str | None:
    """The bundle scenario the state's sites start from: "none" is the empty start, which a
    built bundle names as its own scenario ("No sites"); None for a bundle without one."""
    return None if state["base"] == "none" and "none" not in engine.bundle.scenarios else state["base"]


def scenario_of(engine, state: ViewState, which: str = "alt"):
    """The engine Scenario for the state's scenario (``alt``) or its comparison (``cmp``)."""
    if which == "cmp":
        return None if state["cmp"] == "none" else engine.scenario(state["cmp"])
    return engine.scenario(
        base_scenario_id(engine, state),
        state["open"],
        state["close"],
        state["add"],
        state["move"],
        label=scenario_name(state) or "",
    )


def threshold_text(engine, state: Mapping[str, Any]) -> str:
    """The threshold in words, with its article so it reads after "within" or "lose":
    'a 20-minute walk', 'a 15-minute journey by cycling', '1 km'."""
    if state["unit"] == "minutes":
        # the manifest may name the journey ("walk", "cycle ride"); else "journey (<mode label>)"
        spec = engine.bundle.manifest.get("travel", {}).get("modes", {}).get(state["mode"], {})
        journey = spec.get("phrase") or f"journey ({engine.modes[state['mode']].label.lower()})"
        minutes = f"{state['threshold']:g}"
        article = "an" if minutes.startswith(("8", "11", "18")) else "a"
        return f"{article} {minutes}-minute {journey}"
    return f"{state['threshold']:g} km"


def threshold_kwargs(state: Mapping[str, Any]) -> dict:
    """The view's travel options as keyword arguments of ``Engine.evaluate``."""
    return {"mode": state["mode"], "population": state["pop"], state["unit"]: float(state["threshold"])}


def open_saved(engine, store: ScenarioStore, key: str) -> tuple[ViewState | None, list[str]]:
    """(view state, notices) for saved scenario ``key``, checked like a link; (None, [reason])
    when there is no such scenario or the database cannot be read."""
    try:
        saved = store.get(key)
    except StoreError as exc:
        return None, [f"The saved scenario could not be read: {exc}."]
    if saved is None:
        return None, [f"No saved scenario {str(key)[:20]!r} in this database."]
    notices = []
    if saved.area and saved.area != engine.bundle.area_name:
        notices.append(
            f"The saved scenario {saved.name!r} was made for {saved.area}; parts that do not fit were ignored."
        )
    state, decoded = decode(engine, "?" + saved.query, max_query=MAX_STATE_QUERY)
    # the scenario is called by its saved name on every card, table and briefing
    state = named(state, clean_name(saved.name) or f"Saved scenario {saved.id}")
    return state, notices + [f"Saved scenario {saved.name!r}: {n}" for n in decoded]


def view_link(base_url: str, state: ViewState, store=None) -> str:
    """The link that reopens ``state``. With ``store`` (a ``geo.store.ScenarioStore``), the short
    link ``<base_url>/v/<id>`` (the view kept in the store): what paper and CSV files carry, short
    enough to type and to serve. Without one, ``base_url`` plus the view's query; a ``base_url``
    that already carries a query (a stored view's link, ``...?v=<id>``) is that link.

    >>> view_link("https://maps.example/", default_state(engine))[:38]
    'https://maps.example/?page=needs&ind=n'
    >>> view_link("https://maps.example/?v=ddffb6fchpucwicm", default_state(engine))
    'https://maps.example/?v=ddffb6fchpucwicm'
    >>> from geo.store import ScenarioStore
    >>> len(view_link("https://maps.example/", default_state(engine), ScenarioStore("sqlite://")))
    39
    """
    if "?" in base_url:
        base_url, query = base_url.split("?", 1)
        if query.startswith("v=") and store is None:
            return f"{base_url}?{query}"
    if store is not None:
        return f"{base_url.rstrip('/')}/v/{store.save_view(encode(state), printed=True)}"
    return base_url.rstrip("/") + "/" + encode(state)
