// Unit tests of dashboard/assets/clientside.js with Node's own test runner: node --test tests/js
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");

globalThis.dash_clientside = { no_update: { noUpdate: true } };
const cs = require("../../dashboard/assets/clientside.js");
const NONE = globalThis.dash_clientside.no_update;
const settings = {
  job: "briefing",
  timeout: 25,
  limit: "; the solver stops at 30 s",
  messages: { cancelled: "was cancelled", timed_out: "took too long", lost: "stopped without an answer" },
};

test("the shown page's tab is active, selected, focusable and its panel visible; the others not", () => {
  assert.deepEqual(cs.pageTabs("access", ["needs", "access"]), [
    "nav-link", "false", "-1", true,
    "nav-link active", "true", "0", false,
  ]);
});

test("the link to copy is the page's own address with the view's query", () => {
  const location = { origin: "https://maps.example", pathname: "/" };
  assert.equal(cs.linkText("?page=access", location), "https://maps.example/?page=access");
  assert.equal(cs.linkText(null, location), "https://maps.example/");
});

test("only the tiles parameter asks for the full plotly.js, and only when the partial one is loaded", () => {
  assert.equal(cs.wantsFullPlotly("?tiles=1", true), true);
  assert.equal(cs.wantsFullPlotly("?tiles=1", false), false);
  assert.equal(cs.wantsFullPlotly("?add=tiles%3D1%40LU1%203QZ", true), false);
  assert.equal(cs.wantsFullPlotly("", true), false);
});

test("a job starts on a click, with its time and the cancel count so far", () => {
  assert.deepEqual(cs.jobStart(0, 0, "briefing"), [NONE, NONE, NONE]);
  const [started, tickDisabled, alert] = cs.jobStart(3, 1, "briefing");
  assert.equal(started.n, 3);
  assert.equal(started.c, 1);
  assert.equal(tickDisabled, false);
  assert.equal(alert, "");
  assert.equal(cs.jobStart(1, "a-store-id", "briefing")[0].c, 0); // no Cancel button: an id, never a count
});

test("answered: the watchdog stops ticking and says nothing", () => {
  const started = { n: 2, t0: 0, c: 0 };
  assert.deepEqual(cs.jobTick(started, 2, true, 0, settings, 5000), [true, NONE, NONE, NONE, ""]);
});

test("while running it shows the seconds so far and the solver's limit", () => {
  const started = { n: 1, t0: 0, c: 0 };
  assert.deepEqual(cs.jobTick(started, null, true, 0, settings, 7400), [
    NONE, NONE, NONE, NONE, "7 s so far; the solver stops at 30 s",
  ]);
});

test("past its timeout the job is cancelled, the button usable again and the user told", () => {
  const started = { n: 1, t0: 0, c: 0 };
  assert.deepEqual(cs.jobTick(started, null, true, 0, settings, 26000), [true, "took too long", false, 26000, ""]);
});

test("a user's Cancel is reported as such", () => {
  const started = { n: 1, t0: 0, c: 0 };
  assert.deepEqual(cs.jobTick(started, null, true, 1, settings, 3000), [true, "was cancelled", NONE, NONE, ""]);
});

test("the button usable again with no answer: one more tick, then 'stopped without an answer'", () => {
  const started = { n: 1, t0: 0, c: 0 };
  const job = { ...settings, job: "lost-job" };
  assert.equal(cs.jobTick(started, null, false, 0, job, 2000)[1], NONE);
  assert.deepEqual(cs.jobTick(started, null, false, 0, job, 3000), [true, "stopped without an answer", NONE, NONE, ""]);
  // a tick with the job running again resets the count
  assert.equal(cs.jobTick(started, null, false, 0, job, 4000)[1], NONE);
  cs.jobTick(started, null, true, 0, job, 5000);
  assert.equal(cs.jobTick(started, null, false, 0, job, 6000)[1], NONE);
});

test("copy link: copied where the browser allows it, else shown to copy by hand", async () => {
  const written = [];
  const allowed = { writeText: async (text) => { written.push(text); } };
  assert.deepEqual(await cs.copyLink(1, "https://maps.example/v/abc", "box", allowed), [
    "Link copied", true, "https://maps.example/v/abc",
  ]);
  assert.deepEqual(written, ["https://maps.example/v/abc"]);
  const refused = { writeText: async () => { throw new Error("NotAllowedError"); } };
  const [words, hidden, text] = await cs.copyLink(1, "https://maps.example/v/abc", "box", refused);
  assert.equal(words, "The browser did not allow copying: the link is shown below.");
  assert.equal(hidden, false);
  assert.equal(text, "https://maps.example/v/abc");
  assert.deepEqual(await cs.copyLink(0, "x", "box", allowed), [NONE, NONE, NONE]);
});
