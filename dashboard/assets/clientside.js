// Needs Map's clientside callbacks. Dash calls each through a one-line function that passes
// its inputs and the callback's settings as JSON (dashboard/jobs.py, dashboard/callbacks/state.py);
// the logic is here, where Node's test runner checks it (tests/js/clientside.test.js):
//   node --test tests/js
(function (root) {
  "use strict";
  const dash = (root.dash_clientside = root.dash_clientside || {});
  const none = () => dash.no_update;
  const idleTicks = {}; // per job: ticks seen with the button usable again and no answer

  const needsMap = {
    // The page's tabs and panels follow the view's page: class, aria-selected, tabIndex and
    // the panel's hidden flag, four per page in the order of `pages`.
    pageTabs(page, pages) {
      const out = [];
      for (const p of pages) {
        const on = p === page;
        out.push(on ? "nav-link active" : "nav-link", on ? "true" : "false", on ? "0" : "-1", !on);
      }
      return out;
    },

    // The link to copy: the page's own address with the view's query.
    linkText(search, location) {
      const where = location || root.location;
      return where.origin + where.pathname + (search || "");
    },

    // The street basemap needs the full plotly.js: reload when the partial build is loaded and the
    // address asks for tiles (the tiles parameter itself, not the words "tiles=1" in a label).
    wantsFullPlotly(search, partialLoaded) {
      return Boolean(partialLoaded) && new URLSearchParams(search || "").get("tiles") === "1";
    },

    // Copy link: the clipboard where the browser allows it, else the link shown to copy by hand
    // (the box `boxId` focused and selected). [status words, hide the box, the box's text]
    async copyLink(n, link, boxId, clipboard) {
      if (!n) { return [none(), none(), none()]; }
      try {
        await (clipboard || root.navigator.clipboard).writeText(link);
        return ["Link copied", true, link];
      } catch (err) {
        setTimeout(function () {
          const box = root.document && root.document.getElementById(boxId);
          if (box) { box.focus(); box.select(); }
        }, 50);
        return ["The browser did not allow copying: the link is shown below.", false, link];
      }
    },

    // A background job's watchdog (dashboard/jobs.py): the click (or request) `n` starts it.
    jobStart(n, cancelled, job) {
      if (!n) { return [none(), none(), none()]; }
      idleTicks[job] = 0;
      return [{ n: n, t0: Date.now(), c: typeof cancelled === "number" ? cancelled : 0 }, false, ""];
    },

    // Each second while the job runs: [stop ticking, message, make the button usable, cancel
    // stamp, elapsed words]. Answered: stop. Cancelled by the user: say so. Past the timeout:
    // cancel the job and say so. Button usable again but no answer for two ticks: say it stopped.
    jobTick(started, done, busy, cancelled, settings, now) {
      const at = now === undefined ? Date.now() : now;
      const job = settings.job;
      if (!started || done === started.n) { idleTicks[job] = 0; return [true, none(), none(), none(), ""]; }
      if ((typeof cancelled === "number" ? cancelled : 0) > started.c) {
        return [true, settings.messages.cancelled, none(), none(), ""];
      }
      const seconds = (at - started.t0) / 1000;
      if (seconds > settings.timeout) {
        return [true, settings.messages.timed_out, false, at, ""];
      }
      const took = Math.round(seconds) + " s so far" + (settings.limit || "");
      if (!busy) {
        idleTicks[job] = (idleTicks[job] || 0) + 1;
        if (idleTicks[job] >= 2) { idleTicks[job] = 0; return [true, settings.messages.lost, none(), none(), ""]; }
      } else {
        idleTicks[job] = 0;
      }
      return [none(), none(), none(), none(), took];
    },
  };

  dash.needsMap = Object.assign(dash.needsMap || {}, needsMap);
  if (typeof module !== "undefined" && module.exports) { module.exports = needsMap; }
})(typeof window !== "undefined" ? window : globalThis);
