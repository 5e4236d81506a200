// The Access map's catchment colour bar names each site under its colour. On a narrow screen
// plotly tilts those names by 30 degrees when they do not fit side by side, and the last ones run
// past the right edge, where plotly hides them (on a phone the 2020 proposal lost Manor's name).
// After each draw: if a name is hidden or cut off, stand the names upright (90 degrees), as
// plotly itself does when there are more of them; back to plotly's choice on the other layers,
// whose ticks are numbers.
(function () {
  "use strict";
  const MAP = "access-map";

  function fit(gd) {
    const bar = gd.data && gd.data[0] && gd.data[0].colorbar;
    if (!bar) { return; }
    const named = Array.isArray(bar.tickvals) && bar.tickvals.length > 0;
    if (!named) {
      if (bar.tickangle === 90) { window.Plotly.restyle(gd, {"colorbar.tickangle": "auto"}, [0]); }
      return;
    }
    if (bar.tickangle === 90) { return; }
    const edge = gd.getBoundingClientRect();
    const labels = gd.querySelectorAll(".colorbar g[class$='tick'] text");
    const cut = Array.prototype.some.call(labels, function (label) {
      const box = label.getBoundingClientRect();
      return box.width === 0 || box.right > edge.right + 1 || box.left < edge.left - 1;
    });
    if (cut) { window.Plotly.restyle(gd, {"colorbar.tickangle": 90}, [0]); }
  }

  // dcc.Graph makes its plot element when the map is first drawn (and again if it is redrawn
  // from scratch): look for it now and then, and listen to each new one once
  window.setInterval(function () {
    const gd = document.querySelector("#" + MAP + " .js-plotly-plot");
    if (!gd || gd.__nmColorbarFit || typeof gd.on !== "function" || !window.Plotly) { return; }
    gd.__nmColorbarFit = true;
    gd.on("plotly_afterplot", function () { fit(gd); });
    fit(gd);
  }, 500);
})();
