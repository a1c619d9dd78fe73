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
  // Similar questions: as the citizen types a title, the answered public
  // cases like it (the same list the "check" button shows without
  // JavaScript).
  var similar = document.getElementById("similar");
  var title = document.getElementById("title");
  if (similar && title && window.fetch) {
    var timer = null;
    var asked = "";
    var list = similar.querySelector("ul");
    var show = function (items) {
      list.textContent = "";
      var none = similar.querySelector("[data-testid=similar-none]");
      if (none) none.remove();
      items.forEach(function (s) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = similar.getAttribute("data-similar-base") + "cases/" + encodeURIComponent(s["case"].tracking_code);
        a.textContent = s["case"].title;
        li.appendChild(a);
        if (s["case"].answer) {
          var p = document.createElement("span");
          p.className = "snippet";
          p.textContent = Array.from(s["case"].answer).slice(0, 80).join("");
          li.appendChild(document.createElement("br"));
          li.appendChild(p);
        }
        list.appendChild(li);
      });
      similar.hidden = items.length === 0;
    };
    title.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var q = title.value.trim();
        if (Array.from(q).length < 4 || q === asked) return;
        asked = q;
        var url = similar.getAttribute("data-similar-url") + "?text=" + encodeURIComponent(q);
        fetch(url, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { items: [] }; })
          .then(function (body) { if (asked === q) show(body.items || []); })
          .catch(function () {});
      }, 400);
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
  // Workbench: a template's text goes into the answer.
  function wire(root) {
    root.querySelectorAll("[data-js-only]").forEach(function (el) { el.hidden = false; });
    root.querySelectorAll("select[data-template-for]").forEach(function (select) {
      select.addEventListener("change", function () {
        var field = document.getElementById(select.getAttribute("data-template-for"));
        if (!field || !select.value) return;
        field.value = field.value ? field.value + "\n" + select.value : select.value;
        field.focus();
      });
    });
    // Workbench: an action is sent without reloading the page; the page
    // that comes back (the case, or the form with what to fix) replaces
    // the main part.
    root.querySelectorAll("form[data-enhance]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.fetch || !window.DOMParser) return;
        event.preventDefault();
        var buttons = form.querySelectorAll("button[type=submit]");
        buttons.forEach(function (b) { b.disabled = true; });
        var data = new FormData(form);
        var by = event.submitter;
        if (by && by.name) data.append(by.name, by.value);
        fetch(form.action || window.location.href, {
          method: "POST",
          body: new URLSearchParams(data),
          credentials: "same-origin",
        }).then(function (resp) {
          return resp.text().then(function (html) { return { resp: resp, html: html }; });
        }).then(function (r) {
          var doc = new DOMParser().parseFromString(r.html, "text/html");
          var main = doc.getElementById("main");
          if (!main) { window.location.href = r.resp.url; return; }
          document.getElementById("main").innerHTML = main.innerHTML;
          document.title = doc.title;
          if (r.resp.redirected) window.history.replaceState(null, "", r.resp.url);
          wire(document.getElementById("main"));
          var status = document.querySelector("#main [role=status], #main [role=alert]");
          if (status) { status.setAttribute("tabindex", "-1"); status.focus(); }
        }).catch(function () { form.submit(); });
      });
    });
  }
  wire(document);
  // Workbench keys: j/k move through the queue, / goes to the search.
  document.addEventListener("keydown", function (event) {
    var t = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return;
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-row] a"));
    if (event.key === "/") {
      var search = document.querySelector("[data-key-search]");
      if (search) {
        var details = search.closest("details");
        if (details) details.open = true;
        event.preventDefault();
        search.focus();
      }
    } else if ((event.key === "j" || event.key === "k") && rows.length) {
      var at = rows.indexOf(document.activeElement);
      var next = event.key === "j" ? Math.min(at + 1, rows.length - 1) : Math.max(at - 1, 0);
      rows[next].focus();
      event.preventDefault();
    }
  });
})();
