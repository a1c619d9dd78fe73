// Minsheng citizen sites: small improvements to pages that already work
// without JavaScript. Nothing here is needed to ask, track or rate.
(function () {
  "use strict";
  // Character counters: <textarea data-counter="id-of-output">.
  document.querySelectorAll("[data-counter]").forEach(function (field) {
    var out = document.getElementById(field.getAttribute("data-counter"));
    if (!out) return;
    var update = function () { out.textContent = String(Array.from(field.value).length); };
    field.addEventListener("input", update);
    update();
  });
  // Category search filters the list as you type.
  var search = document.querySelector("[data-filter-list]");
  if (search) {
    var list = document.getElementById(search.getAttribute("data-filter-list"));
    var none = document.getElementById("no-match");
    search.addEventListener("input", function () {
      var q = search.value.trim().toLowerCase();
      var shown = 0;
      list.querySelectorAll("li[data-search]").forEach(function (li) {
        var hit = !q || li.getAttribute("data-search").toLowerCase().indexOf(q) >= 0;
        li.hidden = !hit;
        if (hit) shown++;
      });
      list.querySelectorAll("[data-group]").forEach(function (g) {
        g.hidden = !g.querySelector("li[data-search]:not([hidden])");
      });
      if (none) none.hidden = shown > 0;
    });
  }
  // "Use my location" fills the coordinates when the phone gives them.
  var locate = document.getElementById("locate");
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (p) {
        document.getElementById("latitude").value = p.coords.latitude.toFixed(6);
        document.getElementById("longitude").value = p.coords.longitude.toFixed(6);
        var status = document.getElementById("locate-status");
        if (status) status.textContent = locate.getAttribute("data-done");
      });
    });
  }
  // A form sends once: the button is disabled after the first submit (the
  // server also refuses a second case for the same form).
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        window.setTimeout(function () { b.disabled = true; }, 0);
      });
    });
  });
})();
