// Loaded after Dash's component libraries and before Dash renders the page (dashboard/__init__.py).
//
// Why: dcc.Graph, dcc.Markdown (the tables) and dcc.Upload are lazy React components. Rendered
// for the first time inside the page, each suspends while its code loads, and React then holds
// back what it suspended until the page's first callbacks have settled: measured here, the first
// map waited about 700 ms for nothing. Rendering each once, empty, in a detached hidden root
// starts those loads before the page itself renders, so the page's graphs draw as they mount.
(function () {
  "use strict";
  const dcc = window.dash_core_components;
  const api = window.dash_component_api;
  // Only with the page's own plotly.js already loaded (the partial build): with the street
  // basemap Dash loads the full plotly.js itself, from its configuration, which is not read yet.
  if (!window.Plotly || !dcc || !dcc.Graph || !api || !api.DashContext || !window.ReactDOM || !window.ReactDOM.createRoot) {
    return;
  }
  const React = window.React;
  // what dcc.Graph asks of Dash's context (it is not inside Dash's tree): never loading
  const context = {componentPath: ["nm-graph-warmup"], useLoading: function () { return false; }, useSelector: function () { return null; }};
  const holder = document.createElement("div");
  holder.hidden = true;
  holder.setAttribute("aria-hidden", "true");
  document.body.appendChild(holder);
  const root = window.ReactDOM.createRoot(holder);
  const noop = function () {};
  root.render(React.createElement(api.DashContext.Provider, {value: context}, React.createElement(
    React.Suspense, {fallback: null},
    // the lazy components the page uses: graphs, tables (Markdown of HTML), the file upload
    React.createElement(dcc.Graph, {id: "nm-warmup-graph", figure: {data: [], layout: {}}, setProps: noop}),
    React.createElement(dcc.Markdown, {id: "nm-warmup-markdown", children: "", setProps: noop}),
    React.createElement(dcc.Upload, {id: "nm-warmup-upload", setProps: noop})
  )));
  setTimeout(function () { root.unmount(); holder.remove(); }, 5000);
})();
