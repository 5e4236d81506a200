// Unit tests of the arithmetic of dashboard/assets/map_preview.js (the Access map's instant
// preview) with Node's own test runner: node --test tests/js
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");

const preview = require("../../dashboard/assets/map_preview.js");

test("minutes round to one place as numpy's np.round does (half to even)", () => {
  // the right-hand values are numpy's: float(np.round(v, 1))
  const numpy = [[0.25, 0.2], [0.35, 0.4], [1.05, 1.0], [2.675, 2.7], [-0.25, -0.2], [12.345, 12.3], [0.15, 0.2], [7.45, 7.4]];
  for (const [value, rounded] of numpy) { assert.equal(preview.round1(value), rounded, String(value)); }
});

// Two LSOAs, three origins, two sites; 80 m a minute. Route centimetres, origin by site:
//   origin 0 (LSOA 0, 10 people): 80,000 cm to site a (10 min), 160,000 cm to site b (20 min)
//   origin 1 (LSOA 0, 30 people): 240,000 cm to a (30 min), 80,000 cm to b (10 min)
//   origin 2 (LSOA 1, 5 people):  400,000 cm to a (50 min), 320,000 cm to b (40 min)
const kernel = {
  sites: ["a", "b"],
  labels: ["Site A", "Site B"],
  route_cm: [80000, 160000, 240000, 80000, 400000, 320000],
  population: [10, 30, 5],
  origin_lsoa: [0, 0, 1],
  lsoa_count: 2,
  lsoa_main_origin: [1, 2],
  metres_per_minute: 80,
};

test("each LSOA's minutes are its people's mean to their nearest open site", () => {
  const both = preview.lsoaMinutes(kernel, new Set(["a", "b"]));
  // LSOA 0: (10 x 10 + 30 x 10) / 40 = 10; LSOA 1: 40 (site b)
  assert.deepEqual(both.minutes, [10, 40]);
  assert.deepEqual(both.names, ["Site B", "Site B"]);  // the most populous origin's site
  const onlyA = preview.lsoaMinutes(kernel, new Set(["a"]));
  // LSOA 0: (10 x 10 + 30 x 30) / 40 = 25; LSOA 1: 50
  assert.deepEqual(onlyA.minutes, [25, 50]);
  assert.deepEqual(onlyA.names, ["Site A", "Site A"]);
});

test("with no site open every LSOA is out of reach and says so", () => {
  const none = preview.lsoaMinutes(kernel, new Set());
  assert.deepEqual(none.minutes, [Infinity, Infinity]);
  assert.deepEqual(none.names, ["no open site", "no open site"]);
});

test("a value's colour is plotly.js's: linear between the scale's stops, clamped to the range", () => {
  const colour = preview.scaleColour([[0, "#000000"], [0.5, "rgb(100, 0, 200)"], [1, "rgba(255, 255, 255, 1)"]], 0, 10);
  assert.equal(colour(0), "rgb(0, 0, 0)");
  assert.equal(colour(2.5), "rgb(50, 0, 100)");
  assert.equal(colour(5), "rgb(100, 0, 200)");
  assert.equal(colour(7.5), "rgb(178, 128, 228)");  // halfway from (100, 0, 200) to (255, 255, 255), rounded
  assert.equal(colour(-3), "rgb(0, 0, 0)");
  assert.equal(colour(99), "rgb(255, 255, 255)");
  assert.deepEqual(preview.rgb("#0a0b0c"), [10, 11, 12]);
});
