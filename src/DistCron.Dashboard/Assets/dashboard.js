// DistCron dashboard: live refresh, as progressive enhancement. Every page is complete without this script. With it,
// the page listens to the server-sent "changed" event and swaps its live regions (elements with data-live and an id)
// for the same regions of a fresh copy of the page. No framework, no inline code (the Content-Security-Policy forbids
// it), no HTML built from strings here: the server renders and encodes everything.
(function () {
  "use strict";
  var url = document.body.getAttribute("data-events");
  if (!url || !window.EventSource || !window.fetch || !window.DOMParser) return;

  var status = document.getElementById("live-status");
  var busy = false;
  var again = false;

  function setStatus(text) {
    if (status) status.textContent = text;
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(window.location.href, { headers: { "Accept": "text/html" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (text) {
        if (text === null) return;
        var fresh = new DOMParser().parseFromString(text, "text/html");
        document.querySelectorAll("[data-live][id]").forEach(function (region) {
          var replacement = fresh.getElementById(region.id);
          if (replacement) region.replaceWith(document.importNode(replacement, true));
        });
        var time = fresh.querySelector("header .meta time");
        var current = document.querySelector("header .meta time");
        if (time && current) current.replaceWith(document.importNode(time, true));
      })
      .catch(function () { /* the next event tries again */ })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  var source = new EventSource(url, { withCredentials: true });
  source.addEventListener("open", function () { setStatus("live"); });
  source.addEventListener("error", function () { setStatus("reconnecting"); });
  source.addEventListener("changed", refresh);
})();
