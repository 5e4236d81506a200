// Sortable tables (dashboard/tables.py): the table is one block of HTML, so its header buttons
// are plain buttons, not Dash components. A press (click, Enter or Space) writes the table's
// sort-request store; the server re-renders the table sorted, with aria-sort on the header.
document.addEventListener("click", function (event) {
  const button = event.target.closest ? event.target.closest("button.nm-sort[data-table]") : null;
  if (!button || !window.dash_clientside || !window.dash_clientside.set_props) { return; }
  window.dash_clientside.set_props(
    {type: "tbl-sort-request", table: button.dataset.table},
    {data: {col: button.dataset.col, at: Date.now()}}
  );
});

// The re-rendered table has new header buttons: give focus back to the one that was pressed,
// so a keyboard user stays where they were (WCAG 2.4.3).
let nmSortFocus = null;
document.addEventListener("click", function (event) {
  const button = event.target.closest ? event.target.closest("button.nm-sort[data-table]") : null;
  if (button) { nmSortFocus = {id: button.id, pressed: button}; }
});
new MutationObserver(function () {
  if (!nmSortFocus) { return; }
  const now = document.getElementById(nmSortFocus.id);
  if (now && now !== nmSortFocus.pressed) {
    const active = document.activeElement;
    if (!active || active === document.body || active === nmSortFocus.pressed) { now.focus({preventScroll: true}); }
    nmSortFocus = null;
  }
}).observe(document.documentElement, {childList: true, subtree: true});
