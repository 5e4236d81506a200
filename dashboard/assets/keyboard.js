// Keyboard support the components do not give by themselves (WCAG 2.1.1).
// The page tablist: Left/Right (and Up/Down), Home and End move focus between tabs
// (roving tabindex, WAI-ARIA Authoring Practices "Tabs"); Enter or Space shows the page.
document.addEventListener("keydown", function (event) {
  const tab = event.target.closest ? event.target.closest('[role="tab"]') : null;
  if (!tab) { return; }
  const tabs = Array.from(tab.parentElement.querySelectorAll('[role="tab"]'));
  const i = tabs.indexOf(tab);
  let next = null;
  if (event.key === "ArrowRight" || event.key === "ArrowDown") { next = tabs[(i + 1) % tabs.length]; }
  else if (event.key === "ArrowLeft" || event.key === "ArrowUp") { next = tabs[(i - 1 + tabs.length) % tabs.length]; }
  else if (event.key === "Home") { next = tabs[0]; }
  else if (event.key === "End") { next = tabs[tabs.length - 1]; }
  if (next) {
    event.preventDefault();
    tabs.forEach(function (t) { t.setAttribute("tabindex", t === next ? "0" : "-1"); });
    next.focus();
  }
});

// dcc.Upload's file input has no label of its own: name it after its drop zone's words
// (WCAG 1.3.1, 4.1.2). The drop zone itself is focusable and opens the file dialog on Enter.
function nmLabelFileInputs() {
  document.querySelectorAll('input[type="file"]:not([aria-label])').forEach(function (input) {
    const zone = input.parentElement;
    const words = zone ? zone.textContent.trim() : "";
    input.setAttribute("aria-label", words || "Choose a file");
  });
}
new MutationObserver(nmLabelFileInputs).observe(document.documentElement, {childList: true, subtree: true});

// Find a ward (Needs and Access pages): once its result is shown, move focus and the view to
// it (WCAG 2.4.3), so a keyboard user reaches it at once and a phone shows it without
// scrolling: the ward profile (Needs) or the ward's card (Access). The result container is
// focusable by script only (tabindex -1) and says what it is.
(function () {
  const RESULTS = {needs: "needs-ward-profile", access: "access-ward-card"};
  let pending = null;  // the page whose Find was just used, until its result arrives
  let timer = null;
  // watches the page only between a Find and its result: a watcher of every change would cost
  // the first page's drawing (thousands of new map nodes) for nothing
  const watcher = new MutationObserver(function (records) {
    if (!pending) { return; }
    const box = document.getElementById(RESULTS[pending]);
    if (!box || !box.textContent.trim()) { return; }
    if (!records.some(function (r) { return box.contains(r.target) || r.target === box; })) { return; }
    stop();
    box.setAttribute("tabindex", "-1");
    box.focus({preventScroll: true});
    box.scrollIntoView({block: "start", behavior: "auto"});
    // what is drawn above it in the next moments (headline cards, notes) would push it away:
    // keep it in view while the page settles, as long as the focus is still there
    [300, 900, 1800].forEach(function (ms) {
      setTimeout(function () {
        if (box.contains(document.activeElement)) { box.scrollIntoView({block: "start", behavior: "auto"}); }
      }, ms);
    });
  });
  function stop() {
    pending = null;
    clearTimeout(timer);
    watcher.disconnect();
  }
  function armed(page) {
    stop();
    pending = page;
    watcher.observe(document.documentElement, {childList: true, subtree: true, characterData: true});
    timer = setTimeout(stop, 10000);  // a Find with no result (an error)
  }
  document.addEventListener("click", function (event) {
    const button = event.target.closest ? event.target.closest("button[id$='find-button']") : null;
    if (button) { armed(button.id.split("-")[0]); }
  }, true);
  document.addEventListener("keydown", function (event) {
    const input = event.target;
    if (event.key === "Enter" && input && input.id && /find-text$/.test(input.id)) { armed(input.id.split("-")[0]); }
  }, true);
})();
