// Loaded after Dash's component libraries and before Dash renders the page (dashboard/__init__.py).
//
// Why: dcc.Graph is a lazy React component. Rendered for the first time inside the page, it
// suspends while its code loads, and React then holds back every graph on the page until the
// rest of the page's first callbacks have settled: measured here, the first map waited about
// 700 ms for nothing. Rendering one empty graph in a detached, hidden root first starts that
// load before the page itself renders, so the page's graphs draw as soon as they mount.
(function () {
  "use strict";
  const dcc = window.dash_core_components;
  const api = window.dash_component_api;
  if (!dcc || !dcc.Graph || !api || !api.DashContext || !window.React || !window.ReactDOM || !window.ReactDOM.createRoot) {
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
  root.render(React.createElement(api.DashContext.Provider, {value: context}, React.createElement(
    React.Suspense, {fallback: null},
    React.createElement(dcc.Graph, {id: "nm-graph-warmup", figure: {data: [], layout: {}}, setProps: function () {}})
  )));
  setTimeout(function () { root.unmount(); holder.remove(); }, 5000);
})();
