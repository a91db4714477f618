// cryotrace dashboard: auto-refresh of the fleet overview and filters that apply on change.
(function () {
  "use strict";
  var root = document.body;
  var seconds = Number(root.getAttribute("data-refresh-s") || 0);

  document.querySelectorAll("form.filters select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  if (!seconds) { return; }
  var toggle = document.getElementById("auto-refresh");
  var status = document.getElementById("refresh-status");
  var refreshes = 0;

  function swap(doc, id) {
    var fresh = doc.getElementById(id);
    var old = document.getElementById(id);
    if (fresh && old) { old.replaceWith(fresh); }
  }

  function refresh() {
    if (toggle && !toggle.checked) { return; }
    fetch(window.location.href, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        ["fleet-table", "fleet-summary", "updated-at"].forEach(function (id) { swap(doc, id); });
        refreshes += 1;
        root.setAttribute("data-refreshes", String(refreshes));
        if (status) { status.textContent = ""; }
      })
      .catch(function (error) {
        if (status) { status.textContent = "Refresh failed (" + error.message + "); showing the last data."; }
      });
  }

  window.setInterval(refresh, seconds * 1000);
})();
