// The Deferred component (dashboard/deferred.py): a page body React renders when its tab panel
// is first shown, or when the browser is next idle, whichever comes first.
//
// Why: Dash renders the whole layout before the first map is drawn, hidden pages included, and
// the hidden Access page alone is about half of it. Its components stay in Dash's layout (every
// callback reads and writes them as before); only React's work for them waits.
(function () {
  "use strict";
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
        // after this mount's effects: Dash's wrapper resets a new component's render state in
        // its own effect, which runs after this one and would drop an update made now
        const soon = setTimeout(show, 0);
        return function () { clearTimeout(soon); };
      }
      // shown: render now (the tab's click waits for this page, not for idle time)
      const observer = new MutationObserver(function () { if (!panel.hidden) { show(); } });
      observer.observe(panel, {attributes: true, attributeFilter: ["hidden"]});
      // idle after the first page has drawn: render it then, so the tab opens at once
      const idle = window.requestIdleCallback ? window.requestIdleCallback(show, {timeout: 3000}) : setTimeout(show, 1000);
      return function () {
        observer.disconnect();
        if (window.cancelIdleCallback) { window.cancelIdleCallback(idle); } else { clearTimeout(idle); }
      };
    }, [ready]);
    return ready ? props.children : React.createElement("div", {ref: marker, "aria-busy": "true"});
  }
  window.needs_map = Object.assign(window.needs_map || {}, {Deferred: Deferred});
})();
