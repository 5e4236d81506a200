"""What the engine says about the area itself, whatever the scenario: indicator values at every
level (LSOAs, current LSOAs, wards of each ward set), ward tables, the need index and the ward
finder. ``Engine`` has these as methods (``AreaViews`` is one of its bases); they read the
bundle and the origins the engine was built with, and never a scenario.
"""

from __future__ import annotations

import difflib
import functools
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo.areas import WardSet, place_in_wards
from geo.bundle import AreaWords
from geo.errors import NeedsMapError, ScenarioError
from geo.need import need_index
from geo.population import lower_first
from geo.results import weighted_quantile

if TYPE_CHECKING:
    from geo.bundle import Bundle
    from geo.origins import Origins


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """The weighted median: the smallest value at or below which half the weight lies (an
    observed value, so the median of deciles is a decile). NaN with no weight.

    Parameters
    ----------
    values, weights : numpy.ndarray
        Values and their non-negative weights (NaN values are left out).

    Examples
    --------
    >>> weighted_median(np.array([1.0, 2.0, 9.0]), np.array([10.0, 1.0, 1.0]))
    1.0
    >>> weighted_median(np.array([1.0, 2.0, 9.0]), np.array([1.0, 1.0, 10.0]))
    9.0
    >>> weighted_median(np.array([3.0]), np.array([0.0]))
    nan
    """
    return weighted_quantile(values, weights, 0.5)


class AreaViews:
    """The area's geography and indicators, as methods of ``Engine`` (see the module docstring).

    What it reads of the engine, set in ``Engine.__init__``:"""

    bundle: Bundle
    origins: Origins
    ward_sets: dict[str, WardSet]
    primary_ward_set: str
    origin_ward_index_by_set: dict[str, np.ndarray]
    origin_population: Any
    _ward_tables: dict[str, pd.DataFrame]

    def _origin_wards(self, ward_set: WardSet) -> np.ndarray:  # (Engine's)
        raise NotImplementedError

    # -- indicators --------------------------------------------------------------------
    def ward_table(self, ward_set: str | None = None) -> pd.DataFrame:
        """Ward values of one ward set (default: the primary set).

        The primary set has the bundle's ward-level indicators plus ward aggregates of LSOA
        indicators over the LSOAs assigned to each ward by area (``geo.geometry``). Another set
        has the LSOA aggregates only, computed over origins (each origin carries its LSOA's
        values; ``geo.areas``). Means are weighted by the default population (say so where
        shown: ``ward_weights_label``), counts are summed.
        """
        set_id = self.check_ward_set(ward_set)
        if set_id not in self._ward_tables:
            bundle = self.bundle
            lsoa_ids = {i: s.aggregate for i, s in bundle.indicators.items() if s.level != "ward"}
            lsoa_ids.update({f: "sum" for f in bundle.population_fields})
            ward_set_ = self.ward_sets[set_id]
            agg = self._origin_ward_aggregates(set_id, self.origin_values(list(lsoa_ids)), lsoa_ids)
            table = bundle.ward_values.join(agg) if ward_set_.primary else agg
            table.insert(0, "ward_name", table.index.map(ward_set_.names))
            self._ward_tables[set_id] = table
        return self._ward_tables[set_id]

    def _origin_ward_aggregates(
        self, set_id: str, origin_values: pd.DataFrame, columns: dict[str, str], frame: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Ward values of LSOA-level columns over origins (see ``_origin_aggregates``)."""
        return self._origin_aggregates(
            self.ward_sets[set_id].codes, self.origin_ward_index_by_set[set_id], origin_values, columns, frame
        )

    def origin_values(self, columns: list[str], frame: pd.DataFrame | None = None) -> pd.DataFrame:
        """Each origin's value of small-area columns: the value of the small area it lies in.

        A column of the bundle's LSOAs (population fields, "lsoa" indicators, or ``frame``'s
        columns, indexed by bundle LSOA) is read through the origin's LSOA; an indicator of the
        current LSOAs ("lsoa_current", e.g. IoD 2025 on 2021 LSOAs) through the current LSOA
        the origin lies in (``origin_current_lsoa_index``). Rows follow the origins.

        Examples
        --------
        >>> engine.origin_values(["imd_decile"]).shape == (len(engine.origins.xy), 1)
        True
        """
        out = {}
        lsoa_frame = self.bundle.lsoa_values if frame is None else frame
        for column in columns:
            if self._read_on_current_lsoas(column, frame):
                current = self.bundle.current_lsoa_values[column].to_numpy(float)
                out[column] = current[self.origin_current_lsoa_index]
            else:
                out[column] = lsoa_frame[column].reindex(self.origins.lsoa_code).to_numpy()
        return pd.DataFrame(out, index=pd.RangeIndex(len(self.origins.xy)))

    def _read_on_current_lsoas(self, column: str, frame: pd.DataFrame | None) -> bool:
        """Whether ``origin_values`` reads ``column`` on the current LSOAs (not the bundle's)."""
        spec = self.bundle.indicators.get(column)
        return frame is None and spec is not None and spec.level == "lsoa_current"

    @functools.cached_property
    def origin_current_lsoa_share(self) -> np.ndarray:
        """Each origin's share of its current LSOA's count: an output area's residents over
        those of its LSOA's output areas (as ``Origins.share`` is of the bundle's LSOA); other
        origins share their current LSOA in proportion to their share of their own LSOA."""
        from geo.areas import share_by_group

        weights = self.origins.share.copy()
        areas = self.bundle.output_areas
        if self.origins.kind == "output_areas" and areas is not None:
            weights[: len(areas.residents)] = areas.residents
        return share_by_group(self.origin_current_lsoa_index, weights)

    @functools.cached_property
    def origin_current_lsoa_index(self) -> np.ndarray:
        """Each origin's position among the bundle's current LSOAs: an output area's own
        parent (output areas nest exactly in their LSOA, so its code decides), and for any
        other origin the current LSOA polygon holding its point."""
        current = self.bundle.current_lsoas
        if current is None:
            raise ScenarioError("this area's data has no current LSOAs ([layers.lsoas_current])")
        areas = self.bundle.output_areas
        if self.origins.kind != "output_areas" or areas is None or areas.parent is None:
            return self._origin_wards(current)
        position = {c: j for j, c in enumerate(current.codes)}
        parents = np.array([position[p] for p in areas.parent], dtype=np.intp)
        rest = self.origins.xy[len(parents) :]  # LSOAs with no output area: by their point
        if len(rest) == 0:
            return parents
        return np.concatenate([parents, place_in_wards(rest, current.wards, self.bundle.projected_crs)])

    def _origin_aggregates(
        self,
        codes: list[str],
        index: np.ndarray,
        values: pd.DataFrame,
        columns: dict[str, str],
        frame: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """Values of small-area columns for other areas, over origins (``values``: one row per
        origin, ``origin_values(columns, frame)``): "mean" is weighted by the default
        population, "median" is the value at which half that population lives in areas ranked
        at or below it (``weighted_median``: ranks and deciles are orders, so a mean of them is
        not a rank), "sum" shares each small area's count among its origins by residents (of a
        current LSOA for a column read there). ``index`` is each origin's position in ``codes``."""
        weight = self.origin_population[self.default_population]
        out = pd.DataFrame(index=pd.Index(codes, name="ward_code"))
        for column, how in columns.items():
            v = values[column].to_numpy(float)
            if how == "sum":
                share = (
                    self.origin_current_lsoa_share if self._read_on_current_lsoas(column, frame) else self.origins.share
                )
                agg = np.bincount(index, weights=v * share, minlength=len(codes))
            elif how == "median":
                agg = np.array([weighted_median(v[index == j], weight[index == j]) for j in range(len(codes))])
            else:
                num = np.bincount(index, weights=v * weight, minlength=len(codes))
                den = np.bincount(index, weights=weight, minlength=len(codes))
                agg = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
            out[column] = agg
        return out

    def check_ward_set(self, ward_set: str | None) -> str:
        """The ward set id (default: the primary set), or ScenarioError naming the choices."""
        if ward_set is None:
            return self.primary_ward_set
        if str(ward_set) not in self.ward_sets:
            raise ScenarioError(
                f"--wards {ward_set}: choose from {', '.join(self.ward_sets)} "
                f"({'; '.join(f'{k}: {v.label}' for k, v in self.ward_sets.items())})"
            )
        return str(ward_set)

    def ward_value_definition(self, indicator: str) -> str | None:
        """How a ward's value of an LSOA-level indicator (or of the need index) is made, in
        words; None for a figure published by ward. The map's hover, the ranked table and its
        CSV, the ward profile and the briefings all show this one definition.

        Examples
        --------
        >>> engine.ward_value_definition("imd_rank")
        "median over the ward's children under 5 (mid-2019)"
        >>> engine.ward_value_definition("idaci_score")
        "mean over the ward's children under 5 (mid-2019)"
        >>> engine.ward_value_definition("eyfs_gld_pct") is None
        True
        """
        spec = self.bundle.indicators.get(indicator)
        if spec is not None and spec.level == "ward":
            return None
        how = "mean" if spec is None else spec.aggregate
        people = lower_first(self.ward_weights_label)
        return {
            "median": f"median over the ward's {people}",
            "mean": f"mean over the ward's {people}",
            "sum": f"sum over the ward ({self.bundle.small_area.many} split by a ward boundary shared by residents)",
        }[how]

    @property
    def ward_weights_label(self) -> str:
        """What ward means are weighted by (the default population's label)."""
        return self.bundle.population_fields[self.default_population]

    @property
    def default_population(self) -> str:
        """The bundle's default population field id."""
        return self.bundle.default_population

    def population_field(self, ages: str, year: object) -> str:
        """Population field id for an age band and year (see ``geo.population``).

        >>> engine.population_field("0-4", 2019)
        'age0-4_2019'
        """
        return self.bundle.population_field(ages, year)

    def indicator_values(self, indicator: str, level: str, ward_set: str | None = None) -> pd.Series:
        """Values of one indicator at 'lsoa' or 'ward' level (NaN = no published figure).

        A ward-level indicator exists only for the wards it was published for (the primary
        set); for another ward set every value is NaN, and ``unpublished_reason`` says why.
        """
        spec = self.bundle.indicators.get(indicator)
        if spec is None:
            raise ScenarioError(f"unknown indicator {indicator!r}")
        if level in ("lsoa", "lsoa_current") and spec.level == "ward":
            raise ScenarioError(
                f"{spec.label} is published by ward only; there is no value by {self.bundle.small_area.one}"
            )
        if level == "lsoa":
            if spec.level == "lsoa_current":
                raise ScenarioError(
                    f"{spec.label} is published for the current LSOAs, not for the LSOAs of the "
                    "population estimates: show it by current LSOA (level 'lsoa_current') or by ward"
                )
            return self.bundle.lsoa_values[indicator]
        if level == "ward":
            table = self.ward_table(ward_set)
            if indicator not in table.columns:
                return pd.Series(np.nan, index=table.index, name=indicator)
            return table[indicator]
        if level == "lsoa_current":
            if spec.level == "lsoa_current":
                return self.bundle.current_lsoa_values[indicator]
            return self.values_on_current_lsoas({indicator: spec.aggregate})[indicator]
        raise ScenarioError(f"level {level!r}: expected one of {', '.join(self.levels)}")

    @property
    def levels(self) -> tuple[str, ...]:
        """Map levels: 'ward', 'lsoa' and, with current LSOAs reached through output-area
        origins, 'lsoa_current'."""
        if self.bundle.current_lsoas is not None and self.origins.kind == "output_areas":
            return ("ward", "lsoa", "lsoa_current")
        return ("ward", "lsoa")

    def level_words(self, level: str) -> AreaWords:
        """What the areas of a map level are called in printed words: the bundle's own words
        for its small areas (``[layers.lsoas] word``, ``[layers.lsoas_current] word``).

        Examples
        --------
        >>> engine.level_words("lsoa").one, engine.level_words("lsoa_current").many, engine.level_words("ward").one
        ('LSOA', '2021 LSOAs', 'ward')
        """
        if level == "lsoa_current":
            return self.bundle.current_small_area
        if level == "lsoa":
            return self.bundle.small_area
        return AreaWords("ward", "wards", "Wards")

    def shown_level(self, indicator: str, level: str) -> tuple[str, str | None]:
        """The map level an indicator is shown at when ``level`` is asked for, and why it differs
        (None when it does not): a figure published by ward only is shown by ward; one published
        for the current LSOAs is shown by current LSOA where the bundle's LSOAs are asked for.

        Examples
        --------
        >>> engine.shown_level("imd_rank", "lsoa")
        ('lsoa', None)
        >>> engine.shown_level("eyfs_gld_pct", "lsoa")[0]
        'ward'
        """
        spec = self.bundle.indicators.get(indicator)
        if spec is None:
            return level, None
        if level != "ward" and spec.level == "ward":
            return "ward", f"{spec.label} is published by ward only, so it is shown by ward."
        if level == "lsoa" and spec.level == "lsoa_current" and "lsoa_current" in self.levels:
            label = self.bundle.current_lsoas.label if self.bundle.current_lsoas is not None else ""
            return "lsoa_current", f"{spec.label} is published for {label}, so it is shown by those."
        return level, None

    def values_on_current_lsoas(self, columns: dict[str, str], frame: pd.DataFrame | None = None) -> pd.DataFrame:
        """LSOA-level columns carried to the bundle's current LSOAs through the output areas.

        A bundle LSOA split into several current LSOAs gives each part its rate ("mean") and
        shares its counts ("sum") by residents; merged ones are summed or population-weighted.

        >>> engine.values_on_current_lsoas({"imd_score": "mean"})  # doctest: +SKIP
        """
        current = self.bundle.current_lsoas
        if current is None or self.origins.kind != "output_areas":
            raise ScenarioError(
                "current LSOAs need output-area origins ([layers.lsoas_current], --origins output_areas)"
            )
        return self._origin_aggregates(
            current.codes, self.origin_current_lsoa_index, self.origin_values(list(columns), frame), columns, frame
        )

    def unpublished_reason(self, indicator: str, ward_set: str | None = None) -> str | None:
        """Why an indicator has no values for a ward set (None when it has them).

        >>> engine.unpublished_reason("obesity_year6_pct", "2023")
        'published only for Wards 2009-2023 (in force in 2020)'
        """
        spec = self.bundle.indicators.get(indicator)
        set_id = self.check_ward_set(ward_set)
        if spec is None or spec.level != "ward" or self.ward_sets[set_id].primary:
            return None
        return f"published only for {self.ward_sets[self.primary_ward_set].label}"

    def find_ward(self, text: str, ward_set: str | None = None) -> str:
        """The code of the ward a user means: a ward name (any case; a close misspelling is
        suggested, not guessed), a ward code, or a postcode (the ward holding its point).

        >>> engine.find_ward("saints")
        'E05002207'
        """
        set_id = self.check_ward_set(ward_set)
        names = self.ward_sets[set_id].names
        wanted = " ".join(str(text or "").split())
        if not wanted:
            raise ScenarioError("type a ward name or a postcode")
        if wanted.upper() in names:
            return wanted.upper()
        by_name = {n.casefold(): c for c, n in names.items()}
        if wanted.casefold() in by_name:
            return by_name[wanted.casefold()]
        from geo.readers import normalise_postcode

        try:
            postcode = normalise_postcode(wanted)
        except NeedsMapError:
            postcode = None  # not a postcode: perhaps a misspelt ward name
        if postcode is not None and postcode not in self.bundle.postcodes.index:
            raise ScenarioError(f"postcode {postcode} is not in this area's postcode list")
        if postcode is not None:
            x, y = self.bundle.postcodes.loc[postcode, ["x", "y"]]
            index = place_in_wards(
                np.array([[x, y]]), self.ward_sets[set_id].wards, self.bundle.projected_crs, nearest=False
            )[0]
            if index < 0:
                raise ScenarioError(f"postcode {postcode} is outside {self.bundle.area_name}'s wards")
            return self.ward_sets[set_id].codes[int(index)]
        near = difflib.get_close_matches(wanted.casefold(), list(by_name), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(names[by_name[n]] for n in near)}?" if near else ""
        elsewhere = [
            w.label
            for k, w in self.ward_sets.items()
            if k != set_id and wanted.casefold() in {n.casefold() for n in w.names.values()}
        ]
        if elsewhere:
            hint = f"; it is a ward of {elsewhere[0]}: choose that ward set"
        raise ScenarioError(f"no ward or postcode {wanted!r} in {self.ward_sets[set_id].label}{hint}")

    def ward_bounds(self, ward_code: str, ward_set: str | None = None) -> tuple[float, float, float, float]:
        """(min lon, min lat, max lon, max lat) of a ward."""
        wards = self.ward_sets[self.check_ward_set(ward_set)].wards
        return tuple(float(v) for v in wards[wards["code"] == ward_code].total_bounds)  # type: ignore[return-value]

    def area_names(self, level: str, set_id: str) -> dict[str, str]:
        """Code -> name of the areas of a level (``"ward"``, ``"lsoa"`` or ``"lsoa_current"``);
        an LSOA's name says its ward of the set ``set_id``, so a reader knows where "Luton 003B" is.

        >>> engine.area_names("lsoa", engine.primary_ward_set)["E01015693"]
        'Luton 007A (Barnfield)'
        """
        if level == "ward":
            return self.ward_sets[set_id].names
        cache: dict[tuple[str, str], dict[str, str]] = self.__dict__.setdefault("_area_names", {})
        if (level, set_id) not in cache:
            current = self.bundle.current_lsoas
            names = (
                current.names
                if level == "lsoa_current" and current is not None
                else dict(zip(self.bundle.lsoas["code"], self.bundle.lsoas["name"]))
            )
            wards = self.ward_sets[set_id].names
            cache[(level, set_id)] = {
                code: f"{name} ({wards.get(self.lsoa_ward(code, set_id) or '', '')})".replace(" ()", "")
                for code, name in names.items()
            }
        return cache[(level, set_id)]

    def lsoa_ward(self, lsoa_code: str, ward_set: str | None = None) -> str | None:
        """The ward of a ward set that holds most of an LSOA's (or a current LSOA's) residents,
        by where its origins are, or None if unknown."""
        return self._lsoa_wards(self.check_ward_set(ward_set)).get(lsoa_code)

    def _lsoa_wards(self, set_id: str) -> dict[str, str]:
        """Every LSOA's and current LSOA's ward in one ward set (see ``lsoa_ward``), made once:
        a map labels hundreds of areas, one look-up each."""
        cache: dict[str, dict[str, str]] = self.__dict__.setdefault("_lsoa_ward_cache", {})
        if set_id not in cache:
            index = self.origin_ward_index_by_set[set_id]
            codes = self.ward_sets[set_id].codes

            def most_residents(areas: np.ndarray, n: int) -> dict[str, str]:
                frame = pd.DataFrame({"area": areas, "ward": index[:n], "share": self.origins.share[:n]})
                frame = frame[frame["ward"] >= 0].groupby(["area", "ward"], as_index=False)["share"].sum()
                # the largest share; a tie goes to the ward listed first
                frame = frame.sort_values(["area", "share", "ward"], ascending=[True, False, True])
                first = frame.drop_duplicates("area")
                return {a: codes[int(w)] for a, w in zip(first["area"], first["ward"])}

            mapping = most_residents(self.origins.lsoa_code, len(index))
            areas = self.bundle.output_areas
            if areas is not None and areas.parent is not None and self.origins.kind == "output_areas":
                # a current LSOA by its output areas; a bundle LSOA's own code is looked up first
                mapping = {**most_residents(areas.parent, len(areas.parent)), **mapping}
            cache[set_id] = mapping
        return cache[set_id]

    def ward_lsoas(
        self, ward_code: str, ward_set: str | None = None, level: str = "lsoa"
    ) -> list[tuple[str, float, str]]:
        """(LSOA code, share, what the share is of) for each LSOA with residents in a ward: the
        share of the LSOA's residents whose origins lie in the ward (``geo.areas``), so an LSOA
        split by a ward boundary shows the part of its residents on each side. ``level``
        "lsoa_current" lists the current LSOAs, shared by their output areas' residents.
        """
        set_id = self.check_ward_set(ward_set)
        codes = self.ward_sets[set_id].codes
        if ward_code not in codes:
            return []
        inside = self.origin_ward_index_by_set[set_id] == codes.index(ward_code)
        if level == "lsoa_current":
            current = self.bundle.current_lsoas
            areas = self.bundle.output_areas
            if current is None or areas is None or self.origins.kind != "output_areas":
                raise ScenarioError("current LSOAs need output-area origins ([layers.lsoas_current])")
            residents = np.zeros(len(self.origins.xy))
            residents[: len(areas.codes)] = areas.residents
            index = self.origin_current_lsoa_index
            total = np.bincount(index, weights=residents, minlength=len(current.codes))
            part = np.bincount(index[inside], weights=residents[inside], minlength=len(current.codes))
            return [(current.codes[j], float(part[j] / total[j]), "residents") for j in np.flatnonzero(part > 0)]
        shares = pd.Series(self.origins.share[inside]).groupby(self.origins.lsoa_code[inside]).sum()
        return [(c, float(s), "residents") for c, s in shares.items()]

    def need_index_candidates(self) -> list[str]:
        """Indicators a user may weight in the need index (the manifest's list, else every eligible one)."""
        eligible = [
            i
            for i, s in self.bundle.indicators.items()
            if s.level == "lsoa" and s.completeness == "complete" and s.direction != "none"
        ]
        listed = self.bundle.manifest.get("need_index", {}).get("candidates")
        return [i for i in listed if i in eligible] if listed else eligible

    @property
    def has_need_index(self) -> bool:
        """True when the bundle defines need-index weights (``[need_index] weights``); without
        them no need index is offered or shown."""
        weights = self.bundle.manifest.get("need_index", {}).get("weights", {})
        return any(float(v) > 0 for v in weights.values())

    def need_index(
        self, weights: dict[str, float] | None = None, level: str = "lsoa", ward_set: str | None = None
    ) -> pd.Series:
        """Composite need index (0-100) per LSOA, or per ward of a ward set (population-weighted)."""
        if not self.has_need_index:
            raise ScenarioError("this area's data defines no need index ([need_index] weights in bundle.toml)")
        weights = weights if weights is not None else self.bundle.manifest.get("need_index", {}).get("weights", {})
        ward_set = self.check_ward_set(ward_set) if level == "ward" else None
        if level == "lsoa_current":
            frame = pd.DataFrame({"need_index": self.need_index(weights, level="lsoa")})
            return self.values_on_current_lsoas({"need_index": "mean"}, frame)["need_index"]
        if ward_set is not None:
            frame = pd.DataFrame({"need_index": self.need_index(weights, level="lsoa")})
            return self._origin_ward_aggregates(
                ward_set, self.origin_values(["need_index"], frame), {"need_index": "mean"}, frame
            )["need_index"]
        key = (tuple(sorted(weights.items())), level)
        cache = self.__dict__.setdefault("_need_cache", {})
        if key not in cache:
            if len(cache) > 64:  # weights come from users: keep the cache small
                cache.clear()
            cache[key] = self._need_index(weights, level)
        return cache[key].copy()

    def _need_index(self, weights: dict[str, float], level: str) -> pd.Series:
        return need_index(self.bundle.lsoa_values, self.bundle.indicators, weights)
