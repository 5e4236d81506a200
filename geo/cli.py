"""Command line: ``python -m geo <command> [options]``.

Commands: validate, sites, coverage, compare, equality, optimise, calibrate, briefing. ``--bundle`` defaults to the embedded
example bundle (the first in data/, e.g. data/luton). Errors in the data or the arguments exit with status 2
and one line on stderr; there is no traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from geo.bundle import default_bundle_path
from geo.errors import NeedsMapError
from geo.formatting import NO_FIGURE, minutes, percent
from geo.origins import ORIGIN_KINDS
from geo.population import lower_first
from geo.results import range_bounds

if TYPE_CHECKING:  # (the view state is imported where a command needs it: the CLI starts fast)
    from geo.viewstate import ViewState

DEFAULT_BUNDLE = default_bundle_path()


class UsageError(Exception):
    """A bad command line: one line on stderr, exit status 2."""

    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse prints the whole usage by default)
        raise UsageError(f"{self.prog}: {message}")


def _ids(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for value in values or []:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


def _add_travel_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--open", action="append", metavar="IDS", help="site ids to open (comma-separated, repeatable)")
    p.add_argument("--close", action="append", metavar="IDS", help="site ids to close (comma-separated, repeatable)")
    p.add_argument(
        "--add",
        action="append",
        metavar="LABEL@WHERE",
        help="add a site by postcode (Hub@LU4 9ND) or coordinates (Hub@51.90,-0.47); repeatable",
    )
    p.add_argument(
        "--move",
        action="append",
        metavar="SITE=LABEL@WHERE",
        help="place a register site elsewhere, e.g. hub_leagrave_tbc=Hub@LU4 0PE",
    )
    p.add_argument(
        "--mode", default=None, help="a travel mode of the bundle, e.g. walk, cycle or car (default: the bundle's)"
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument("--minutes", type=float, help="threshold in minutes (default 20)")
    g.add_argument("--km", type=float, help="threshold in km of estimated route (straight line with --detour none)")
    p.add_argument("--detour", default=None, help="the bundle's calibration name (default) or none")
    p.add_argument("--ages", default=None, help="age band: 0-4 (default), 0-15, 0-19, any A-B, A+ or all")
    p.add_argument("--year", default=None, help="population estimate year, e.g. 2019 (default: the bundle's)")
    p.add_argument(
        "--population",
        default=None,
        help="a population field id instead of --ages/--year (e.g. age_0_15: IoD 2019 mid-2015)",
    )
    p.add_argument(
        "--origins",
        default=None,
        choices=list(ORIGIN_KINDS),
        help="where people start: output_areas (default when the bundle has them), lsoa or postcode",
    )
    p.add_argument("--wards", default=None, help="ward set to report by, e.g. 2013 or 2023 (default: the first)")
    p.add_argument("--car-kmh", type=float, default=None, help="car speed assumption in km/h")
    p.add_argument("--json", action="store_true", help="print JSON")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m geo`` (``--bundle`` before or after the command)."""
    parser = _Parser(prog="python -m geo", description="Needs Map engine: need, travel distance and coverage.")
    parser.add_argument("--bundle", default=str(DEFAULT_BUNDLE), help=f"data bundle folder (default {DEFAULT_BUNDLE})")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    # --bundle is accepted after the subcommand too (SUPPRESS keeps the top-level default).
    sub.add_parser("validate", help="check a data bundle and summarise it")
    sub.add_parser("schema", help="print the JSON Schema of bundle.toml (docs/bundle.schema.json)")
    p_sites = sub.add_parser("sites", help="list the site register with status")
    p_sites.add_argument("--json", action="store_true")
    p_cov = sub.add_parser("coverage", help="coverage of one scenario")
    p_cov.add_argument("--scenario", default=None, help="named scenario (e.g. current_2020, proposed_2020)")
    _add_travel_options(p_cov)
    p_cmp = sub.add_parser("compare", help="compare two scenarios")
    p_cmp.add_argument("--base", required=True, help="named base scenario")
    p_cmp.add_argument("--alt", required=True, help="named alternative scenario (modified by --open/--close/--add)")
    _add_travel_options(p_cmp)
    p_eq = sub.add_parser("equality", help="who loses access, by protected characteristic and car access")
    p_eq.add_argument("--base", required=True, help="named base scenario")
    p_eq.add_argument("--alt", required=True, help="named alternative scenario (modified by --open/--close/--add)")
    _add_travel_options(p_eq)
    p_opt = sub.add_parser("optimise", help="best sites to add (maximal covering or p-median)")
    p_opt.add_argument("--objective", default="coverage", choices=["coverage", "median"])
    p_opt.add_argument("--p", type=int, default=1, help="number of sites to choose (1-10)")
    p_opt.add_argument("--fixed", action="append", metavar="IDS", help="register sites kept open (comma-separated)")
    p_opt.add_argument(
        "--candidates",
        default="sites",
        help="sites | lsoas | postcodes:WARD,WARD | FILE.csv (name, postcode or lat/lon)",
    )
    p_opt.add_argument(
        "--weight",
        default="population",
        choices=["population", "need"],
        help="weight origins by population (default) or population x need index",
    )
    p_opt.add_argument("--baseline", default=None, help="a register site to compare the answer with")
    p_opt.add_argument("--time-limit", type=float, default=30.0, help="solver time limit in seconds")
    _add_travel_options(p_opt)
    p_cat = sub.add_parser("catchments", help="each open site's catchment and load (nearest-site allocation)")
    p_cat.add_argument("--scenario", required=True, help="named scenario, modified by --open/--close/--add/--move")
    p_cat.add_argument("--compare", default=None, help="named scenario to compare against (before the change)")
    p_cat.add_argument(
        "--capacity",
        action="append",
        metavar="SITE=PEOPLE",
        help="a site's capacity in people of the chosen population (repeatable; overrides the register)",
    )
    p_cat.add_argument("--moves", type=int, default=10, help="origins whose site changes to list (text output)")
    _add_travel_options(p_cat)
    p_app = sub.add_parser("appraise", help="two to six options side by side against a baseline")
    p_app.add_argument(
        "--options",
        required=True,
        help="comma-separated: preset names, saved scenario ids (with --db) or .json view-state files",
    )
    p_app.add_argument("--baseline", default=None, help="the option the others are compared with (default: the first)")
    p_app.add_argument(
        "--db", default=None, help="database URL of saved scenarios (default: DATABASE_URL or the data folder)"
    )
    p_app.add_argument(
        "--capacity", action="append", metavar="SITE=PEOPLE", help="a site's capacity in people (repeatable)"
    )
    p_app.add_argument("--out", default=None, help="write the options briefing (two pages): .pdf, .png or .html")
    p_app.add_argument("--base-url", default="http://127.0.0.1:8050/", help="the dashboard's address, for links")
    _add_travel_options(p_app)
    p_cal = sub.add_parser("calibrate", help="check the travel model against the official road distances")
    p_cal.add_argument("--json", action="store_true")
    p_cal.add_argument("--against", default=None, help="any official road-distance file: lsoa_code, km")
    p_cal.add_argument(
        "--services", default=None, help="the services it measured to: name, lat, lon (or easting, northing)"
    )
    p_build = sub.add_parser("build-bundle", help="build a checked bundle for any authority from the national pack")
    p_build.add_argument("area", help="an authority's code (E06..., E07..., E08..., E09..., E10...) or name")
    p_build.add_argument("--out", required=True, help="a new folder for the bundle")
    p_build.add_argument(
        "--sites", default=None, help="the council's register: name, role, status, postcode or lat/lon"
    )
    p_build.add_argument("--pack", default=None, help="the national pack folder (default: data/england)")
    p_build.add_argument("--quiet", action="store_true", help="no progress bar")
    p_pack = sub.add_parser("make-pack", help="convert the England data pack to the Parquet pack the builder uses")
    p_pack.add_argument("--source", required=True, help="the England data pack (gzipped CSV and GeoJSON)")
    p_pack.add_argument("--out", required=True, help="where to write the Parquet pack (e.g. data/england)")
    p_brief = sub.add_parser("briefing", help="briefing (two A4 pages: PDF, PNG or HTML) with a short link to the view")
    p_brief.add_argument("--scenario", required=True, help="named scenario, modified by --open/--close/--add/--move")
    p_brief.add_argument("--compare", default=None, help="named scenario to compare against (default: none)")
    p_brief.add_argument(
        "--indicator", default=None, help="map this indicator instead of minutes (need_index or an id)"
    )
    p_brief.add_argument(
        "--level",
        default="ward",
        choices=["ward", "lsoa", "lsoa_current"],
        help="level of --indicator (lsoa_current: the current LSOAs, when the bundle has them)",
    )
    p_brief.add_argument("--out", required=True, help="output file: .pdf, .png or .html")
    p_brief.add_argument(
        "--ward",
        default=None,
        metavar="NAME",
        help="a briefing for one ward (name, code or a postcode in it) of --wards",
    )
    p_brief.add_argument(
        "--equality",
        action="store_true",
        help="add the equality impact table (needs --compare and equality tables in the bundle)",
    )
    p_brief.add_argument("--base-url", default="http://127.0.0.1:8050/", help="dashboard address for the link")
    p_brief.add_argument(
        "--db",
        default=None,
        help="database URL that keeps the briefing's short link /v/<id> (default: DATABASE_URL or the data folder; "
        "the dashboard at --base-url must use the same database)",
    )
    _add_travel_options(p_brief)
    p_scn = sub.add_parser("scenarios", help="saved scenarios: back up, restore, audit (an administrator's tools)")
    p_scn.add_argument(
        "action",
        choices=["export", "import", "list", "deleted", "restore", "purge", "audit"],
        help="export FILE / import FILE (JSON backups), list, deleted, restore ID, purge, audit [ID]",
    )
    p_scn.add_argument(
        "target", nargs="?", default=None, help="the file (export, import) or scenario id (restore, audit)"
    )
    p_scn.add_argument("--db", default=None, help="database URL (default: DATABASE_URL or the data folder)")
    p_scn.add_argument("--who", default="", help="your name, for the audit log")
    p_scn.add_argument(
        "--days", type=float, default=None, help="purge: scenarios deleted more than this many days ago (default 30)"
    )
    p_links = sub.add_parser("links", help="short links /v/<id>: how many are kept, and removing unused ones")
    p_links.add_argument("action", choices=["count", "purge"], help="count, or purge the unused ones")
    p_links.add_argument("--db", default=None, help="database URL (default: DATABASE_URL or the data folder)")
    p_links.add_argument(
        "--days",
        type=float,
        default=None,
        help="purge: links nobody printed and nobody opened for this many days (default 90; printed ones are kept)",
    )
    p_users = sub.add_parser("users", help="accounts and roles for signing in (an administrator's tool)")
    p_users.add_argument(
        "action", choices=["add", "role", "remove", "list"], help="add NAME, role NAME, remove NAME, list"
    )
    p_users.add_argument("name", nargs="?", default=None)
    p_users.add_argument("--role", choices=["viewer", "editor", "admin"], default=None)
    p_users.add_argument(
        "--password-file",
        default=None,
        help="read the password from this file's first line (else it is asked for; with NEEDSMAP_PASSWORD set, that)",
    )
    p_users.add_argument("--no-password", action="store_true", help="sign-in through the proxy only")
    p_users.add_argument("--db", default=None, help="database URL (default: DATABASE_URL or the data folder)")
    p_users.add_argument("--who", default="", help="your name, for the audit log")
    for command in sub.choices.values():
        command.add_argument(
            "--bundle", default=argparse.SUPPRESS, help=f"data bundle folder (default {DEFAULT_BUNDLE})"
        )
    return parser


def _load(args):
    from geo.bundle import load_bundle

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_bundle(args.bundle)


def _engine(args):
    from geo.engine import Engine

    return Engine(_load(args), origins=getattr(args, "origins", None), car_kmh=getattr(args, "car_kmh", None))


def _moves(values):
    out = {}
    for value in values or []:
        if "=" not in value:
            raise UsageError(f"--move {value!r}: expected SITE=LABEL@WHERE")
        site, where = value.split("=", 1)
        out[site.strip()] = where
    return out


def _population(engine, args) -> str | None:
    """The population field named by --ages/--year or --population (None: the default)."""
    if args.population is not None and (args.ages is not None or args.year is not None):
        raise UsageError("give --population or --ages/--year, not both")
    if args.population is not None:
        legacy = {"total": "all", "age_0_15": "0-15"}
        if args.population not in engine.bundle.population_fields and args.population in legacy:
            raise UsageError(
                f"--population {args.population} is not in this bundle; use --ages "
                f"{legacy[args.population]} --year YEAR"
            )
        return args.population
    if args.ages is None and args.year is None:
        return None
    tables = engine.bundle.age_tables
    if tables is None:
        raise UsageError("this bundle has no population by single year of age; use --population")
    return engine.population_field(args.ages or tables.default_band, args.year or tables.default_year)


def _options(args, engine) -> dict:
    return {
        "mode": args.mode,
        "minutes": args.minutes,
        "km": args.km,
        "detour": args.detour,
        "population": _population(engine, args),
    }


def _between(ranges: dict, key: str, share: bool = False) -> str:
    bounds = range_bounds(ranges, key, share)
    return f" (between {bounds[0]} and {bounds[1]} across the travel range)" if bounds else ""


def cmd_validate(args, out) -> int:
    """``validate``: load and check a bundle; print its counts and warnings."""
    bundle = _load(args)
    located = int(bundle.sites["located"].sum())
    print(f"Bundle {bundle.path} ({bundle.area_name}): OK", file=out)
    print(
        f"  wards: {len(bundle.wards)}; {bundle.small_area.many}: {len(bundle.lsoas)}; postcodes: {len(bundle.postcodes)}",
        file=out,
    )
    print(f"  sites: {len(bundle.sites)} ({located} located, {len(bundle.sites) - located} unlocated)", file=out)
    print(f"  indicators: {len(bundle.indicators)}; scenarios: {', '.join(bundle.scenarios)}", file=out)
    print(f"  warnings: {len(bundle.warnings)}", file=out)
    for w in bundle.warnings:
        print(f"  - {w}", file=out)
    return 0


def cmd_sites(args, out) -> int:
    """``sites``: the site register with status (text or JSON)."""
    bundle = _load(args)
    rows = []
    for site, r in bundle.sites.iterrows():
        rows.append(
            {
                "site_id": site,
                "name": r["name"],
                "role": r["role"],
                "group": r["group"],
                "status": "located" if r["located"] else "unlocated",
                "address": r["address"],
                "postcode": r["postcode"] or None,
                "lat": None if not r["located"] else float(r["lat"]),
                "lon": None if not r["located"] else float(r["lon"]),
                "confidence": r["confidence"],
                "source": r["source"],
            }
        )
    if args.json:
        json.dump({"sites": rows, "warnings": bundle.warnings}, out, indent=2)
        print(file=out)
        return 0
    print(f"{'site_id':24} {'role':18} {'status':10} {'postcode':9} {'conf.':7} name", file=out)
    for r in rows:
        print(
            f"{r['site_id']:24} {r['role']:18} {r['status']:10} {(r['postcode'] or '-'):9} "
            f"{r['confidence']:7} {r['name']}",
            file=out,
        )
    return 0


def _mode_words(engine, mode: str) -> str:
    """A mode as the bundle names it ("walking"), not by its id."""
    return engine.modes[mode].label.lower() if engine is not None and mode in engine.modes else mode


def _print_coverage(res, out, engine=None):
    s = res.summary()
    t = res.threshold
    if t["minutes"] is not None:
        limit = f"{t['minutes']:g} min ({_mode_words(engine, res.mode)})"
    else:
        limit = f"{t['km']:g} km ({'straight line' if res.detour == 'none' else 'estimated route'})"
    print(
        f"{s['scenario']}: {s['covered']:,.0f} of {s['total']:,.0f} {lower_first(res.population_label)} "
        f"({percent(s['share_covered'])}) within {limit}{_between(res.ranges, 'alt_covered')}; "
        + (
            f"mean time to the nearest open site {s['mean_minutes']:.1f} min ({_mode_words(engine, res.mode)})"
            if s["mean_minutes"] is not None
            else "no open site, so no travel time"
        ),
        file=out,
    )
    print(f"  open sites used: {', '.join(s['open_sites']) or 'none'}", file=out)
    if s["unlocated_sites"]:
        print(f"  not counted (no location): {', '.join(s['unlocated_sites'])}", file=out)
    for a in s["assumptions"]:
        print(f"  assumption: {a}", file=out)


def cmd_coverage(args, out) -> int:
    """``coverage``: who can reach an open site of one scenario."""
    engine = _engine(args)
    scenario = engine.scenario(args.scenario, _ids(args.open), _ids(args.close), args.add or [], _moves(args.move))
    res = engine.coverage(scenario, wards=args.wards, **_options(args, engine))
    if args.json:
        json.dump(res.to_dict(), out, indent=2)
        print(file=out)
    else:
        _print_coverage(res, out, engine)
        if engine.deprivation_label is None:
            return 0
        print(f"  by {engine.deprivation_label}:", file=out)
        for r in res.summary()["by_imd_decile"]:
            print(
                f"    {r['decile']:>2}: {r['covered']:>9,.0f} / {r['total']:>9,.0f}  {percent(r['share_covered'])}",
                file=out,
            )
    return 0


def cmd_compare(args, out) -> int:
    """``compare``: two scenarios, who loses and gains access."""
    engine = _engine(args)
    base = engine.scenario(args.base)
    alt = engine.scenario(args.alt, _ids(args.open), _ids(args.close), args.add or [], _moves(args.move))
    cmp = engine.compare(base, alt, wards=args.wards, **_options(args, engine))
    if args.json:
        json.dump(cmp.to_dict(), out, indent=2)
        print(file=out)
        return 0
    d = cmp.to_dict()
    _print_coverage(cmp.base, out, engine)
    _print_coverage(cmp.alt, out, engine)
    print(f"Change in population covered: {d['change_covered']:+,.0f}", file=out)
    kind = {"lsoa": engine.bundle.small_area.many, "postcode": "postcode origins", "output_areas": "output areas"}[
        engine.origins.kind
    ]
    deprived = (
        f"; {d['losing_access_in_most_deprived_20pct']:,.0f} of them "
        f"({percent(d['share_losing_access_in_most_deprived_20pct'])}) in the 20% most deprived {engine.bundle.small_area.many} "
        f"({engine.deprivation_name} 1-2){_between(cmp.ranges, 'losing_deprived_share', share=True)}"
        if engine.deprivation_label
        else ""
    )
    print(
        f"Losing access: {d['population_losing_access']:,.0f} {lower_first(cmp.alt.population_label)} in "
        f"{len(cmp.lost)} {kind}{_between(cmp.ranges, 'losing')}{deprived}",
        file=out,
    )
    if engine.deprivation_label is None:
        return 0
    print(f"  {engine.deprivation_label}: share within reach, base and alternative", file=out)
    print("  decile  base    alt", file=out)
    for r in d["by_imd_decile"]:
        print(f"    {r['decile']:>2}  {percent(r['base_share']):>6} {percent(r['alt_share']):>6}", file=out)
    return 0


def cmd_equality(args, out) -> int:
    """``equality``: who loses access by each census characteristic (text or JSON)."""
    engine = _engine(args)
    base = engine.scenario(args.base)
    alt = engine.scenario(args.alt, _ids(args.open), _ids(args.close), args.add or [], _moves(args.move))
    result = engine.equality(base, alt, **_options(args, engine))
    if args.json:
        json.dump(result.to_dict(), out, indent=2)
        print(file=out)
        return 0
    d = result.to_dict()
    print(
        f"Equality impact: {d['base']} -> {d['alt']}; {d['population']}, {d['settings']['threshold']} by "
        f"{d['settings']['mode']}. Losing access: {d['losing_access_total']:,.0f}.",
        file=out,
    )
    print(f"  {d['method']}", file=out)
    for line in d["headline_groups"]:
        kind = "estimated " if line["estimate"] else ""
        print(
            f"  {line['group']} ({kind}Census {line['census_year']}): {line['losing_count']:,.0f} of those losing "
            f"access ({percent(line['losing_share'])}), against {percent(line['all_share'])} of all",
            file=out,
        )
    for c in d["characteristics"]:
        print(f"\n{c['label']}  [{c['source']}]", file=out)
        print(f"  {c['assumption']}", file=out)
        print(f"  {'group':48} {'all':>7} {'losing':>7} {'diff pp':>8}", file=out)
        for g in c["groups"]:
            flag = "  over-represented" if g["over_represented"] else ""
            diff = NO_FIGURE if g["difference_pp"] is None else f"{g['difference_pp']:+.1f}"
            print(
                f"  {g['group'][:48]:48} {percent(g['all_share']):>7} {percent(g['losing_share']):>7} {diff:>8}{flag}",
                file=out,
            )
    rule = d["flag_rule"]
    print(
        f"\nOver-represented: share among those losing access at least {rule['min_difference_pp']:g} points and "
        f"{rule['min_ratio']:g} times the share among all.",
        file=out,
    )
    return 0


def briefing_state(engine, args) -> ViewState:
    """The dashboard view state that the briefing's options describe."""
    from geo.viewstate import decode, default_state, encode

    state = default_state(engine)
    state["page"] = "needs" if args.indicator else "access"
    state["base"] = args.scenario
    state["cmp"] = args.compare or "none"
    state["open"], state["close"] = _ids(args.open), _ids(args.close)
    state["mode"] = args.mode or engine.default_mode
    state["pop"] = _population(engine, args) or engine.default_population
    if args.wards is not None:
        state["wards"] = engine.check_ward_set(args.wards)
    if args.indicator:
        state["ind"], state["level"] = args.indicator, args.level
    if args.km is not None:
        state["unit"], state["threshold"] = "km", args.km
    elif args.minutes is not None:
        state["unit"], state["threshold"] = "minutes", args.minutes
    engine.scenario(args.scenario, state["open"], state["close"], args.add or [], _moves(args.move))
    from geo.scenario import parse_added_site

    state["add"] = [parse_added_site(a).to_spec() for a in args.add or []]
    state["move"] = {k: parse_added_site(v).to_spec() for k, v in _moves(args.move).items()}
    checked, notices = decode(engine, encode(state))
    if notices:
        raise UsageError(notices[0])
    return checked


def cmd_briefing(args, out) -> int:
    """``briefing``: the briefing of a view (or of one ward with --ward)."""
    from geo.reports.briefing import briefing_content, render_briefing

    engine = _engine(args)
    if (
        args.detour not in (None, engine.detour_name)
        or args.origins not in (None, engine.origins.kind)
        or args.car_kmh is not None
    ):
        raise UsageError(
            "briefing: --detour, --origins and --car-kmh are not part of a dashboard view; "
            "the briefing uses the dashboard's travel model"
        )
    if args.compare is not None and args.compare not in engine.bundle.scenarios:
        raise UsageError(f"unknown scenario {args.compare!r} for --compare")
    state = briefing_state(engine, args)
    _check_writable(args.out)
    if args.equality and not args.compare:
        raise UsageError("--equality needs --compare (who loses access is a comparison)")
    if args.ward is not None:
        from geo.reports.ward_briefing import render_ward_briefing, ward_briefing_content

        links = _link_store(args.db)
        content_w = ward_briefing_content(engine, state, args.ward, args.base_url, store=links)
        render_ward_briefing(engine, state, args.ward, args.out, base_url=args.base_url, store=links)
        print(f"Wrote {args.out}: {content_w.title}", file=out)
        for label, count, detail in content_w.headlines:
            print(f"  {label}: {count} ({detail})", file=out)
        print(f"Link: {content_w.link}", file=out)
        return 0
    links = _link_store(args.db)
    render_briefing(engine, state, args.out, base_url=args.base_url, equality=args.equality, store=links)
    content = briefing_content(engine, state, args.base_url, equality=args.equality, store=links)
    print(f"Wrote {args.out}", file=out)
    for label, count, pct in content.headlines:
        print(f"  {label}: {count} ({pct})", file=out)
    print(f"Link: {content.link}", file=out)
    return 0


def _link_store(url: str | None):
    """The database that keeps short links for what goes on paper (``geo.store``); a database
    that cannot be opened is a usage error naming it, since paper needs a link that works."""
    from geo.store import ScenarioStore, StoreError

    try:
        return ScenarioStore(url)
    except StoreError as exc:
        raise UsageError(
            f"{exc}: a briefing's short link is kept there (--db, DATABASE_URL or NEEDSMAP_DATA_DIR)"
        ) from None


def cmd_optimise(args, out) -> int:
    """``optimise``: the best sites to add for an objective."""
    from geo.optimise import optimise, parse_candidates

    if args.open or args.close or args.add or args.move:
        raise UsageError("optimise: use --fixed for the sites kept open (not --open/--close/--add/--move)")
    engine = _engine(args)
    fixed = _ids(args.fixed)
    for site in fixed:
        engine.scenario(None, open=[site])  # validates the id
    candidates = parse_candidates(engine, args.candidates, exclude=fixed)
    res = optimise(
        engine,
        objective=args.objective,
        p=args.p,
        fixed=fixed,
        candidates=candidates,
        weight=args.weight,
        time_limit=args.time_limit,
        baseline=args.baseline,
        **_options(args, engine),
    )
    if args.json:
        json.dump(res.to_dict(), out, indent=2)
        print(file=out)
        return 0
    kind = "population covered" if res.objective == "coverage" else "population-weighted minutes"
    print(
        f"{'Optimal' if res.optimal else 'Best found'} ({res.message}); {res.n_candidates} candidates, "
        f"{res.seconds:.2f} s",
        file=out,
    )
    print(
        f"  objective ({kind}{', need-weighted' if args.weight == 'need' else ''}): {res.objective_value:,.1f}",
        file=out,
    )
    print(f"  covered: {res.covered_before:,.0f} with the fixed sites alone -> {res.covered_after:,.0f}", file=out)
    for row in res.chosen:
        print(f"  chosen: {row['label']} ({row['lat']:.5f}, {row['lon']:.5f}); gain {row['gain']:,.1f}", file=out)
        print(f"    where: {row['where']}", file=out)
    if res.baseline:
        b = res.baseline
        print(
            f"  versus {b['label']}: {b['covered']:,.0f} covered; the optimum covers {b['gain_of_optimum']:+,.0f}",
            file=out,
        )
    return 0


def cmd_build_bundle(args, out) -> int:
    """``build-bundle``: one authority's bundle from the national pack, then validated."""
    from geo.build_bundle import STEPS, Progress, build_bundle
    from geo.bundle import load_bundle
    from geo.pack import default_pack_path, open_pack

    progress = Progress(STEPS, enabled=not args.quiet)
    pack = open_pack(args.pack or default_pack_path())
    summary = build_bundle(pack, args.area, Path(args.out), Path(args.sites) if args.sites else None, progress.step)
    bundle = load_bundle(args.out)
    print(
        f"{summary['name']} ({summary['code']}, {summary['kind']}): {summary['lsoa21']} LSOAs (2021), "
        f"{summary['lsoa11']} LSOAs (2011), {summary['output_areas']} output areas, {summary['wards']} wards, "
        f"{summary['postcodes']:,} postcodes, {summary['sites']} sites, {summary['road_distances']} official road "
        f"distances; validated ({len(bundle.warnings)} warning(s)). Bundle: {args.out}",
        file=out,
    )
    if not summary["sites"]:
        print(
            "No sites yet: build again with --sites FILE.csv (columns name, role, status, postcode or lat and lon; "
            "optional site_id, role_label, capacity, address, notes).",
            file=out,
        )
    return 0


def cmd_make_pack(args, out) -> int:
    """``make-pack``: the England data pack as checksummed Parquet."""
    from geo.pack import convert_pack

    manifest = convert_pack(Path(args.source), Path(args.out))
    print(f"Wrote {len(manifest['files'])} files and pack.toml to {args.out}", file=out)
    return 0


def cmd_calibrate(args, out) -> int:
    """``calibrate``: the travel model against the official road distances."""
    from geo.calibrate import report_table

    if bool(args.against) != bool(args.services):
        raise UsageError("calibrate: --against and --services go together")
    engine = _engine(args)
    if args.against:
        return _calibrate_against(engine, args, out)
    if engine.national_model is not None:
        return _calibrate_national(engine, args, out)
    report = engine.calibration
    if report is None:
        raise UsageError(
            "this bundle has no official distances to check the travel model against ([layers.road_check])"
        )
    if args.json:
        json.dump(report.to_dict(), out, indent=2)
        print(file=out)
        return 0
    print(
        f"Travel model checked against: {report.sample_name} ({report.sample_size} LSOAs; "
        f"leave-one-out cross-validation; {report.pairs} calibration route pairs)",
        file=out,
    )
    table = report_table(report)
    print(f"{'model':95} {'median':>6} {'MAPE':>6} {'<=20%':>6} {'1 km':>6}", file=out)
    for r in table.itertuples():
        print(
            f"{r.model[:95]:95} {r.median_ratio:6.3f} {r.mean_abs_pct_error:5.1f}% "
            f"{100 * r.share_within_20pct:5.1f}% {100 * r.agreement_within_1km:5.1f}%",
            file=out,
        )
    parameters = ", ".join(f"{n} {v:.3f}" for n, v in report.parameters.items()) or "nothing fitted"
    print(
        f"Chosen: {report.chosen} ({parameters}); travel range: routes x {report.interval[0]:.5f} to "
        f"x {report.interval[1]:.5f} (10th-90th percentile of official / out-of-sample estimate)",
        file=out,
    )
    for item in report.at_bound:
        print(f"Warning: the fit ended on a bound of its search range: {item}.", file=out)
    return 0


def _print_check(check: dict, title: str, out) -> None:
    s = check["summary"]
    print(
        f"{title}: {s['n']} LSOAs; median estimate/official {s['median_ratio']:.3f}, mean absolute error "
        f"{s['mean_abs_pct_error']:.1f}%, within 20% {100 * s['share_within_20pct']:.1f}%",
        file=out,
    )


def _calibrate_against(engine, args, out) -> int:
    from geo.calibrate import load_official

    bundle = engine.bundle
    sample, skipped = load_official(
        Path(args.against),
        Path(args.services),
        list(bundle.lsoa_values.index),
        bundle.projected_crs,
        lambda crs, xs, ys: bundle._transformer(crs, bundle.projected_crs).transform(xs, ys),
    )
    check = engine.check_travel_model(sample)
    check["summary"]["rows_outside_bundle"] = skipped
    check["model"] = engine.travel_description(engine.detour_name)
    if args.json:
        json.dump(check, out, indent=2)
        print(file=out)
        return 0
    _print_check(check, f"Travel model against {Path(args.against).name}", out)
    if skipped:
        print(
            f"{skipped} row(s) are for {engine.bundle.small_area.many} outside this bundle and were left out.", file=out
        )
    return 0


def _calibrate_national(engine, args, out) -> int:
    spec = engine.national_model
    national = {
        k: spec[k] for k in ("authorities", "lsoas", "median_ratio", "mean_abs_pct_error", "share_within_20pct")
    }
    sample = engine.road_sample()
    local = engine.check_travel_model(sample) if sample is not None else None
    if args.json:
        json.dump(
            {
                "model": engine.travel_description(engine.detour_name),
                "national_out_of_authority": national,
                "local": local,
            },
            out,
            indent=2,
        )
        print(file=out)
        return 0
    print(engine.travel_description(engine.detour_name), file=out)
    if local is None:
        print("The pack holds no official road distances for this area: no local check.", file=out)
    else:
        _print_check(
            local,
            f"Here ({sample.name}; these LSOAs are among the {spec['lsoas']:,} the national curve was fitted on)",
            out,
        )
    return 0


def _capacities(values) -> dict[str, float]:
    out = {}
    for value in values or []:
        site, sep, number = value.partition("=")
        try:
            people = float(number.replace(",", ""))
        except ValueError:
            people = math.nan
        if not sep or not site.strip() or not math.isfinite(people) or people < 0:
            raise UsageError(f"--capacity {value!r}: expected SITE=PEOPLE with a number 0 or more")
        out[site.strip()] = people
    return out


def cmd_catchments(args, out) -> int:
    """``catchments``: each open site's catchment population, deprivation and travel, and (with
    --compare) before and after, with who is assigned a different site."""
    from geo.catchments import catchments, compare_catchments

    engine = _engine(args)
    alt = engine.scenario(args.scenario, _ids(args.open), _ids(args.close), args.add or [], _moves(args.move))
    capacity = _capacities(args.capacity)
    for site in capacity:
        engine.scenario(None, open=[site])  # an unknown id is named in the error
    options = _options(args, engine)
    if args.compare is None:
        result = catchments(engine, alt, capacity=capacity, **options)
        if args.json:
            json.dump(result.to_dict(), out, indent=2)
            print(file=out)
            return 0
        _print_catchments(result, out)
        return 0
    if args.compare not in engine.bundle.scenarios:
        raise UsageError(f"unknown scenario {args.compare!r} for --compare")
    change = compare_catchments(engine, engine.scenario(args.compare), alt, capacity=capacity, **options)
    if args.json:
        json.dump(change.to_dict(), out, indent=2)
        print(file=out)
        return 0
    base, after = change.base, change.alt
    print(
        f"{after.population_label}: {after.scenario} against {base.scenario} "
        f"(nearest open site by {after.mode}; {after.with_a_site:,.0f} of {after.total:,.0f} with a located site)",
        file=out,
    )
    print(f"  {'site':<52} {'status':<12} {'before':>8} {'after':>8} {'change':>8}", file=out)
    for row in change.site_rows():
        print(
            f"  {row['label'][:52]:<52} {row['status']:<12} {row['before']:>8,.0f} {row['after']:>8,.0f} "
            f"{row['change']:>+8,.0f}",
            file=out,
        )
    mean_added = change.mean_added_minutes()
    print(
        f"Assigned a different site: {change.people_changing_site:,.0f} people in {int(change.changed.sum())} "
        f"origins; mean minutes added {NO_FIGURE if mean_added is None else f'{mean_added:+.1f}'}",
        file=out,
    )
    for move in change.moves()[: max(0, args.moves)]:
        print(
            f"  {move['origin']}: {move['population']:,.0f} people, {move['site_before']} -> {move['site_after']}, "
            f"{move['minutes_before']:.1f} -> {move['minutes_after']:.1f} min ({move['added_minutes']:+.1f})",
            file=out,
        )
    return 0


def _print_catchments(result, out) -> None:
    print(
        f"{result.population_label}: {result.scenario} (nearest open site by {result.mode}; "
        f"{result.with_a_site:,.0f} of {result.total:,.0f} with a located site)",
        file=out,
    )
    heading = "20% most deprived" if any(s.most_deprived_share is not None for s in result.sites) else ""
    print(f"  {'site':<52} {'people':>8} {heading:>18} {'mean min':>9} {'p90 min':>8}", file=out)
    for s in result.sites:
        share = "" if not heading else percent(s.most_deprived_share)
        mean = minutes(s.mean_minutes)
        p90 = minutes(s.p90_minutes)
        print(f"  {s.label[:52]:<52} {s.population:>8,.0f} {share:>18} {mean:>9} {p90:>8}", file=out)
    if result.capacity is not None:
        c = result.capacity
        print(
            f"With capacities: served {c.served:,.0f}; in a catchment but beyond capacity {c.beyond_capacity:,.0f}; "
            f"not covered {c.not_covered:,.0f}"
            + (
                f" (unknown capacity, treated as unlimited: {', '.join(c.unknown_capacity)})"
                if c.unknown_capacity
                else ""
            ),
            file=out,
        )


def cmd_appraise(args, out) -> int:
    """``appraise``: options side by side (table or JSON), and the options briefing with --out."""
    from geo.appraisal import appraise
    from geo.options import option_links, resolve

    engine = _engine(args)
    if args.out is not None:
        _check_writable(args.out)
    specs = [s for s in (args.options or "").split(",") if s.strip()]
    store = None
    if args.db is not None or any(
        not s.strip().lower().endswith(".json") and s not in engine.bundle.scenarios for s in specs
    ):
        from geo.store import ScenarioStore

        store = ScenarioStore(args.db)
    options = [resolve(engine, s, store) for s in specs]
    names = [o.name for o in options]
    if args.baseline is not None and args.baseline not in names:
        raise UsageError(f"--baseline {args.baseline!r} is not one of the options ({', '.join(names)})")
    baseline = options[names.index(args.baseline)] if args.baseline else None
    travel = _options(args, engine)
    result = appraise(engine, options, baseline, capacity=_capacities(args.capacity), **travel)
    if args.out is not None:
        from geo.reports.options_briefing import render_options_briefing

        links = option_links(engine, options, args.base_url, store=store or _link_store(args.db))
        render_options_briefing(engine, result, options, args.out, links=links, **travel)
    if args.json:
        json.dump(result.to_dict(), out, indent=2)
        print(file=out)
        return 0
    from geo.reports.options_briefing import headers, table_rows

    print(f"{result.population_label}; baseline {result.baseline}", file=out)
    for row in table_rows(result):
        print("  " + " | ".join(f"{h}: {c}" for h, c in zip(headers(result), row)), file=out)
    if args.out is not None:
        print(f"Wrote {args.out}", file=out)
    return 0


MAX_BACKUP_BYTES = 200_000_000  # a scenarios file read before any of it is trusted


def cmd_links(args, out) -> int:
    """``links``: how many short links are kept; remove those nobody printed or opened lately."""
    from geo.store import SHORT_LINK_DAYS, ScenarioStore

    store = ScenarioStore(args.db)
    if args.action == "purge":
        days = SHORT_LINK_DAYS if args.days is None else args.days
        print(f"Removed {store.purge_views(days)} short links nobody printed or opened for {days:g} days", file=out)
    counts = store.count_views()
    print(
        f"{counts['printed']:,} printed short links (kept for good); "
        f"{counts['address_bar']:,} address-bar links (removed {SHORT_LINK_DAYS} days after their last use)",
        file=out,
    )
    return 0


def cmd_scenarios(args, out) -> int:
    """``scenarios``: back up (export), load (import), list, restore deleted ones, purge, audit."""
    from geo.store import KEEP_DELETED_DAYS, ScenarioStore

    store = ScenarioStore(args.db)
    needs_target = {"export": "a file to write", "import": "a file to read", "restore": "a scenario id"}
    if args.action in needs_target and not args.target:
        raise UsageError(f"scenarios {args.action}: give {needs_target[args.action]}")
    if args.action == "export":
        _check_writable(args.target)
        data = store.export()
        Path(args.target).write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
        print(f"Wrote {len(data['scenarios'])} scenarios to {args.target}", file=out)
    elif args.action == "import":
        path = Path(args.target)
        if not path.is_file():
            raise UsageError(f"scenarios import: {args.target} is not a file")
        if path.stat().st_size > MAX_BACKUP_BYTES:
            raise UsageError(f"scenarios import: {args.target} is over {MAX_BACKUP_BYTES / 1e6:.0f} MB")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise UsageError(f"scenarios import: {args.target} is not JSON ({str(exc)[:80]})") from None
        added, present = store.import_(data, who=args.who)
        print(f"Imported {added} scenarios; {present} were already here", file=out)
    elif args.action in ("list", "deleted"):
        for saved in store.list_saved() if args.action == "list" else store.deleted():
            when = saved.deleted if args.action == "deleted" else saved.updated
            print(f"{saved.id}  {when:%Y-%m-%d %H:%M}  {saved.area}  {saved.name}", file=out)
    elif args.action == "restore":
        saved = store.restore(args.target, who=args.who)
        print(f"Restored {saved.id}: {saved.name}", file=out)
    elif args.action == "purge":
        days = KEEP_DELETED_DAYS if args.days is None else args.days
        print(f"Purged {store.purge(days, who=args.who)} scenarios deleted over {days:g} days ago", file=out)
    else:
        for line in store.audit(args.target):
            print(f"{line['at']}  {line['action']:8} {line['id']}  {line['who'] or '-'}: {line['detail']}", file=out)
    return 0


def _password(args) -> str:
    if args.password_file:
        try:
            return Path(args.password_file).read_text(encoding="utf-8").splitlines()[0]
        except (OSError, IndexError, UnicodeDecodeError) as exc:
            raise UsageError(f"--password-file {args.password_file}: cannot read a first line ({exc})") from None
    if os.environ.get("NEEDSMAP_PASSWORD"):
        return os.environ["NEEDSMAP_PASSWORD"]
    import getpass

    first, second = getpass.getpass("Password: "), getpass.getpass("Again: ")
    if first != second:
        raise UsageError("the two passwords differ")
    return first


def cmd_users(args, out) -> int:
    """``users``: add an account (argon2-hashed password), change a role, remove one, list them."""
    from geo.store import ScenarioStore

    store = ScenarioStore(args.db)
    if args.action != "list" and not args.name:
        raise UsageError(f"users {args.action}: give the user's name")
    if args.action == "add":
        if store.user(args.name) is not None:
            raise UsageError(f"users add: {args.name!r} exists; use 'users role' to change the role")
        store.set_user(args.name, args.role or "viewer", None if args.no_password else _password(args), who=args.who)
        print(f"Added {args.name} as {args.role or 'viewer'}", file=out)
    elif args.action == "role":
        if store.user(args.name) is None or args.role is None:
            raise UsageError("users role: give a known user and --role")
        store.set_user(args.name, args.role, who=args.who)
        print(f"{args.name} is now {args.role}", file=out)
    elif args.action == "remove":
        store.remove_user(args.name, who=args.who)
        print(f"Removed {args.name}", file=out)
    else:
        for user in store.users():
            print(f"{user['name']}  {user['role']}{'' if user['has_password'] else '  (proxy sign-in only)'}", file=out)
    return 0


def cmd_schema(args, out) -> int:
    """The manifest's JSON Schema, for bundle authors' editors (``geo.manifest``)."""
    from geo.manifest import json_schema

    json.dump(json_schema(), out, indent=2, ensure_ascii=False)
    print(file=out)
    return 0


COMMANDS = {
    "schema": cmd_schema,
    "users": cmd_users,
    "scenarios": cmd_scenarios,
    "links": cmd_links,
    "appraise": cmd_appraise,
    "catchments": cmd_catchments,
    "calibrate": cmd_calibrate,
    "build-bundle": cmd_build_bundle,
    "make-pack": cmd_make_pack,
    "optimise": cmd_optimise,
    "briefing": cmd_briefing,
    "validate": cmd_validate,
    "sites": cmd_sites,
    "coverage": cmd_coverage,
    "compare": cmd_compare,
    "equality": cmd_equality,
}


def _check_writable(path: str) -> None:
    """Refuse an output file whose folder is missing or cannot be written, before any work."""
    folder = Path(path).expanduser().resolve().parent
    if not folder.is_dir():
        raise UsageError(f"--out {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"--out {path}: the folder {folder} cannot be written to")


def main(argv: list[str] | None = None, out=None, err=None) -> int:
    """Run one command; returns the exit status (0, or 2 with one line on stderr)."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args, out)
    except (NeedsMapError, UsageError) as exc:
        print(f"error: {exc}", file=err)
        return 2
    except BrokenPipeError:  # e.g. piped into `head`
        return 0
    except OSError as exc:  # writing an output: disk full, permissions changed mid-run...
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=err)
        return 2
