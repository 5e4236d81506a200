// The Access map's instant preview (see dashboard/preview.py for the why and the limits).
// When a site is switched on or off (its checkbox, or its marker on the map), recolour the map
// here from the kernel the server sent: nearest open site per origin, population-weighted mean
// minutes per LSOA, one Plotly.restyle. The server's answer to the same click follows in the
// same round trip and replaces these values with its own (they agree to 0.1 minute).
(function () {
  "use strict";
  const MAP = "access-map";
  const CHECKLIST = "access-site-checklist";
  const TRACE = {minutes: 0, sites: 2};  // dashboard/figures.py ACCESS_TRACE
  let kernel = null;

  // numpy's np.round(x, 1): round half to even on x * 10, so the preview rounds as the server does
  function round1(value) {
    const scaled = value * 10;
    const halfway = Math.abs(scaled % 1) === 0.5;
    return (halfway ? 2 * Math.round(scaled / 2) : Math.round(scaled)) / 10;
  }

  function finiteOrNull(value) { return Number.isFinite(value) ? round1(value) : null; }

  function openSites(toggled) {
    const open = new Set();
    document.querySelectorAll('[id^="{"][id*="' + CHECKLIST + '"] input[type=checkbox]').forEach(function (box) {
      if (box.checked) { open.add(box.value); }
    });
    if (toggled !== undefined) {
      if (open.has(toggled)) { open.delete(toggled); } else { open.add(toggled); }
    }
    return open;
  }

  // Per LSOA: mean minutes to the nearest open site, and the site of its most populous origin.
  function lsoaMinutes(k, open) {
    const siteCount = k.sites.length;
    const columns = [];
    k.sites.forEach(function (site, column) { if (open.has(site)) { columns.push(column); } });
    const n = k.lsoa_count;
    const num = new Float64Array(n), den = new Float64Array(n), infinite = new Uint8Array(n);
    const nearest = new Int32Array(k.population.length);
    for (let o = 0; o < k.population.length; o++) {
      let best = Infinity, bestColumn = -1;
      for (let j = 0; j < columns.length; j++) {
        const cm = k.route_cm[o * siteCount + columns[j]];
        if (cm < best) { best = cm; bestColumn = columns[j]; }
      }
      nearest[o] = bestColumn;
      const lsoa = k.origin_lsoa[o], weight = k.population[o];
      if (bestColumn < 0) { infinite[lsoa] = 1; } else { num[lsoa] += (best / 100 / k.metres_per_minute) * weight; }
      den[lsoa] += weight;
    }
    const minutes = [], names = [];
    for (let l = 0; l < n; l++) {
      minutes.push(infinite[l] ? Infinity : (den[l] > 0 ? num[l] / den[l] : NaN));
      const main = k.lsoa_main_origin[l];
      names.push(main >= 0 && nearest[main] >= 0 ? k.labels[nearest[main]] : "no open site");
    }
    return {minutes: minutes, names: names};
  }

  // "#rrggbb", "rgb(r, g, b)" or "rgba(r, g, b, a)" as [r, g, b]
  function rgb(colour) {
    if (colour[0] === "#") {
      return [1, 3, 5].map(function (at) { return parseInt(colour.slice(at, at + 2), 16); });
    }
    return colour.replace(/[^0-9.,]/g, "").split(",").slice(0, 3).map(Number);
  }

  // plotly.js's own colour for a value: linear in r, g and b between the colour scale's stops
  // spread over [zmin, zmax], the value clamped to that range
  function scaleColour(stops, zmin, zmax) {
    const at = stops.map(function (stop) { return zmin + stop[0] * (zmax - zmin); });
    const colours = stops.map(function (stop) { return rgb(stop[1]); });
    return function (value) {
      const v = Math.min(Math.max(value, zmin), zmax);
      let k = 0;
      while (k < at.length - 2 && v > at[k + 1]) { k++; }
      const t = at[k + 1] === at[k] ? 0 : (v - at[k]) / (at[k + 1] - at[k]);
      const c = colours[k].map(function (c0, j) { return Math.round(c0 + t * (colours[k + 1][j] - c0)); });
      return "rgb(" + c.join(", ") + ")";
    };
  }

  // The fast path: set the new fill of each area's path (no redraw of the map's shapes). Only
  // where every area has a value before and after (an area with no value is drawn differently)
  // and the colour range stays as drawn; false otherwise, and the caller redraws with restyle.
  function paintFills(graph, update) {
    const full = graph._fullData && graph._fullData[TRACE.minutes];
    const calc = graph.calcdata && graph.calcdata[TRACE.minutes];
    const layer = graph.querySelector(".choroplethlayer .trace");
    const z = update.z[0];
    if (!full || !calc || !layer || !full.colorscale || z.some(function (v) { return v === null; })) { return false; }
    if (update.zmin && (update.zmin[0] !== full.zmin || update.zmax[0] !== full.zmax)) { return false; }
    const paths = layer.querySelectorAll(".choroplethlocation");
    if (paths.length !== z.length || calc.length !== z.length) { return false; }
    const colour = scaleColour(full.colorscale, full.zmin, full.zmax);
    paths.forEach(function (path) {
      const point = path.__data__;
      if (point && point.i !== undefined) {
        path.setAttribute("fill", colour(z[point.i]));
        point.z = z[point.i];  // what the hover reads until the redraw that follows
      }
    });
    graph.data[TRACE.minutes].z = z;
    return true;
  }

  function preview(toggled) {
    const k = kernel;
    const graph = document.querySelector("#" + MAP + " .js-plotly-plot");
    if (!k || !graph || !window.Plotly || !graph.data) { return; }
    const open = openSites(toggled);
    const lsoa = lsoaMinutes(k, open);
    const update = {};
    if (k.colour === "change" && k.base_lsoa_minutes) {
      const z = lsoa.minutes.map(function (m, l) {
        const base = k.base_lsoa_minutes[l];
        return base === null ? null : finiteOrNull(m - base);
      });
      const span = Math.max(5, ...z.filter(function (v) { return v !== null; }).map(Math.abs));
      update.z = [z, undefined];
      update.customdata = [lsoa.minutes.map(function (m, l) {
        const base = k.base_lsoa_minutes[l];
        return [base === null ? null : finiteOrNull(base), finiteOrNull(m)];
      }), undefined];
      update.zmin = [-span, undefined];
      update.zmax = [span, undefined];
    } else {
      update.z = [lsoa.minutes.map(finiteOrNull), undefined];
      update.customdata = [lsoa.names, undefined];
    }
    const style = {
      "marker.symbol": "marker_symbol", "marker.color": "marker_color", "marker.size": "marker_size", hovertext: "text",
    };
    Object.keys(style).forEach(function (attr) {
      const key = style[attr];
      update[attr] = [undefined, k.marker_sites.map(function (site, i) {
        return (open.has(site) ? k.marker_open : k.marker_closed)[key][i];
      })];
    });
    if (paintFills(graph, update)) {
      // the rest (hover text, site symbols) in the next frame, once the new colours are painted
      requestAnimationFrame(function () {
        requestAnimationFrame(function () { window.Plotly.restyle(graph, update, [TRACE.minutes, TRACE.sites]); });
      });
    } else {
      window.Plotly.restyle(graph, update, [TRACE.minutes, TRACE.sites]);
    }
  }

  // Node's test runner (tests/js) loads this file for its arithmetic; the rest needs a page.
  if (typeof module !== "undefined" && module.exports) {
    module.exports = {round1: round1, lsoaMinutes: lsoaMinutes, scaleColour: scaleColour, rgb: rgb};
  }
  if (typeof document === "undefined") { return; }

  // A site checkbox. The browser sets the box's new checked state before it dispatches the
  // click, and this listener (capturing, on the document) runs before React's. It recolours the
  // map, holds the click back from React, and hands the new value to Dash after the next paint:
  // Dash's own work on a click (gathering every input, sending the request) would otherwise
  // run before the browser could paint the new colours.
  document.addEventListener("click", function (event) {
    const box = event.target;
    const list = box && box.type === "checkbox" && box.closest ? box.closest('[id^="{"][id*="' + CHECKLIST + '"]') : null;
    if (!list || !kernel || !window.dash_clientside || !window.dash_clientside.set_props) { return; }
    let listId;
    try { listId = JSON.parse(list.id); } catch (err) { return; }
    event.stopPropagation();
    try { preview(); } catch (err) { console.error("map preview", err); }
    const value = Array.from(list.querySelectorAll("input[type=checkbox]"))
      .filter(function (b) { return b.checked; })
      .map(function (b) { return b.value; });
    // two frames on: after the preview has been painted and completed
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        requestAnimationFrame(function () { window.dash_clientside.set_props(listId, {value: value}); });
      });
    });
  }, true);

  function listen(graph) {
    if (!graph || graph.nmPreviewListening || !graph.on) { return; }
    graph.nmPreviewListening = true;
    graph.on("plotly_click", function (event) {
      const point = event && event.points && event.points[0];
      if (point && point.curveNumber === TRACE.sites && typeof point.customdata === "string") {
        preview(point.customdata);
      }
    });
  }

  // The kernel arrives in a store; a clientside callback hands it here (dashboard/callbacks/state.py).
  window.needsMapPreview = {
    keep: function (k) {
      kernel = k || null;
      // the Access page may still be rendering (dashboard/deferred.py): look again for a while
      let tries = 50;
      (function look() {
        const graph = document.querySelector("#" + MAP + " .js-plotly-plot");
        if (graph && graph.on) { listen(graph); } else if (tries-- > 0) { setTimeout(look, 100); }
      })();
    },
    compute: function (sites) { return kernel ? lsoaMinutes(kernel, new Set(sites)) : null; },
  };
})();
