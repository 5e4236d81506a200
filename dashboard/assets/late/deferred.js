// The Deferred component (dashboard/deferred.py): a page body React renders when its tab panel
// is first shown, or once the page shown has drawn its graphs and the browser is idle, whichever
// comes first; a part of the page shown, once that page's graphs have been drawn.
//
// Why: Dash renders the whole layout before the first map is drawn, hidden pages included, and
// the hidden Access page alone is about half of it. Its components stay in Dash's layout (every
// callback reads and writes them as before); only React's work for them waits.
(function () {
  "use strict";
  const LOOK_EVERY_MS = 100;
  const LOOKS = 50;  // after 5 s, render anyway

  // The page shown has rendered and every graph on it has been drawn once.
  function shownPageDrawn() {
    const shown = document.querySelector('[role="tabpanel"]:not([hidden])');
    if (!shown) { return true; }
    if (shown.querySelector("[data-nm-deferred]")) { return false; }
    return Array.from(shown.querySelectorAll(".dash-graph")).every(function (graph) {
      return graph.querySelector(".main-svg");
    });
  }

  function Deferred(props) {
    const React = window.React;
    // A Dash prop, not React state: Dash's wrapper then renders the children afresh from its store.
    // (Rendered from this component's own first render, they would show the page as it was at
    // load, without what callbacks have written into it since.)
    const ready = Boolean(props.rendered);
    const setPropsRef = React.useRef(props.setProps);
    setPropsRef.current = props.setProps;
    const marker = React.useRef(null);
    React.useLayoutEffect(function () {
      if (ready) { return undefined; }
      const panel = marker.current && marker.current.closest('[role="tabpanel"]');
      const show = function () { setPropsRef.current({rendered: true}); };
      if (!panel || !panel.hidden) {
        // On the page shown (a part of it, such as a long table): once that page's graphs have
        // been drawn, so the first map is not kept waiting for it. (Never in this mount's own
        // effects: Dash's wrapper resets a new component's render state in its own effect, which
        // runs after this one and would drop an update made now.)
        let waits = LOOKS;
        let soon = null;
        const drawn = function () {
          const graphs = panel ? Array.from(panel.querySelectorAll(".dash-graph")) : [];
          return graphs.every(function (graph) { return graph.querySelector(".main-svg"); });
        };
        const wait = function () {
          soon = drawn() || waits-- <= 0 ? setTimeout(show, 0) : setTimeout(wait, LOOK_EVERY_MS / 4);
        };
        soon = setTimeout(wait, 0);
        return function () { clearTimeout(soon); };
      }
      // shown: render now (the tab's click waits for this page, not for idle time)
      const observer = new MutationObserver(function () { if (!panel.hidden) { show(); } });
      observer.observe(panel, {attributes: true, attributeFilter: ["hidden"]});
      // not shown: once the page shown has drawn its graphs and the browser is idle, so that the
      // tab opens at once later without delaying the first map now
      let timer = null;
      let idle = null;
      let looks = LOOKS;
      const whenIdle = function () {
        idle = window.requestIdleCallback ? window.requestIdleCallback(show, {timeout: 3000}) : setTimeout(show, 200);
      };
      const look = function () {
        if (shownPageDrawn() || looks-- <= 0) { whenIdle(); } else { timer = setTimeout(look, LOOK_EVERY_MS); }
      };
      look();
      return function () {
        observer.disconnect();
        clearTimeout(timer);
        if (idle !== null) {
          if (window.cancelIdleCallback) { window.cancelIdleCallback(idle); } else { clearTimeout(idle); }
        }
      };
    }, [ready]);
    return ready ? props.children : React.createElement("div", {ref: marker, "aria-busy": "true", "data-nm-deferred": ""});
  }
  window.needs_map = Object.assign(window.needs_map || {}, {Deferred: Deferred});
})();
