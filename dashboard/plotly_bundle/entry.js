// Needs Map's plotly.js bundle: only the trace types the dashboard draws on its default
// (tile-free) map and charts. Built with esbuild; see dashboard/plotly_bundle/README.md.
var Plotly = require('plotly.js/lib/core');
Plotly.register([
    require('plotly.js/lib/scattergeo'),
    require('plotly.js/lib/choropleth'),
    require('plotly.js/lib/bar'),
]);
window.Plotly = Plotly;

// Tells the page that this partial build (no tile-map traces) is the one loaded.
window.NEEDS_MAP_PARTIAL_PLOTLY = true;
