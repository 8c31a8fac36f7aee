// Small behaviours of every page, without inline script (the CSP forbids it).
(function () {
  "use strict";
  // A <select data-autosubmit> submits its form when it changes (structure pickers).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.submit();
    }
  });
  // A clicked search-as-you-type suggestion goes into its input (console/accounts/_candidates.html):
  // <li data-pick-target="input id" data-pick-multiple="true|false" data-email="…">.
  document.addEventListener("click", function (event) {
    var item = event.target instanceof Element ? event.target.closest("[data-pick-target]") : null;
    if (!item) { return; }
    var input = document.getElementById(item.getAttribute("data-pick-target"));
    if (!input) { return; }
    if (item.getAttribute("data-pick-multiple") === "true") {
      var parts = input.value.split(/[,;]/).map(function (s) { return s.trim(); });
      parts[parts.length - 1] = item.dataset.email;
      input.value = parts.filter(Boolean).join(", ") + ", ";
    } else {
      input.value = item.dataset.email;
    }
    var box = item.closest(".suggestions-box");
    if (box) { box.innerHTML = ""; }
    input.focus();
  });
})();
