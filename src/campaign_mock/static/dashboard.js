// campaign-mock dashboard: polls each [data-live] region every second and swaps in the
// fresh HTML; sends the buttons' forms with fetch. No library, no build step.
(function () {
  "use strict";
  var PERIOD = 1000;
  var flash = function (text, ok) {
    var el = document.getElementById("flash");
    if (!el) return;
    el.textContent = text || "";
    el.className = ok ? "ok" : "bad";
  };

  function refresh(region) {
    return fetch(region.dataset.live, { headers: { Accept: "text/html" }, cache: "no-store",
                                        credentials: "same-origin" })
      .then(function (answer) {
        if (!answer.ok) throw new Error(answer.status === 401 ?
          "the dashboard needs the control token again: reload with ?token=..." :
          "the mock answered " + answer.status);
        return answer.text();
      })
      .then(function (html) {
        // The first answer replaces the page's own copy (the browser spells the markup
        // differently); from then on only a change does. Tests wait for this mark.
        region.setAttribute("data-polled", "");
        if (html === region.dataset.shown) return;
        // Keep what a person opened: <details> by id survive the swap.
        var open = {};
        region.querySelectorAll("details[open][id]").forEach(function (d) { open[d.id] = true; });
        region.innerHTML = html;
        region.dataset.shown = html;
        region.querySelectorAll("details[id]").forEach(function (d) { if (open[d.id]) d.open = true; });
        if (document.body.classList.contains("offline")) flash("", true);
        document.body.classList.remove("offline");
      })
      .catch(function (error) {
        document.body.classList.add("offline");
        flash("Not live: " + error.message, false);
      });
  }

  var busy = false;
  function tick() {
    if (busy || document.hidden) return Promise.resolve();  // a hidden tab costs nothing
    busy = true;
    var regions = Array.prototype.slice.call(document.querySelectorAll("[data-live]"));
    return Promise.all(regions.map(refresh)).then(function () { busy = false; });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-action")) return;
    event.preventDefault();
    fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)),
                         headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (answer) {
        return answer.json().catch(function () { return { ok: false, message: "the mock answered " + answer.status }; });
      })
      .then(function (result) {
        var told = result.message || (result.data && result.data.error) || "done";
        flash(told, result.ok === true);
        busy = false;
        return tick();
      })
      .catch(function (error) { flash(error.message, false); });
  });

  document.querySelectorAll("[data-live]").forEach(function (region) {
    region.dataset.shown = region.innerHTML;
  });
  setInterval(tick, PERIOD);
})();
