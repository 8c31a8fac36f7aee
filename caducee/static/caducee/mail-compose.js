// Address suggestions for the compose form, from the directory's JSON autocomplete.
(function () {
  "use strict";
  var list = document.getElementById("address-suggestions");
  var source = document.getElementById("to");
  if (!list || !source) { return; }
  var url = source.getAttribute("data-autocomplete");
  var timer = null;
  function lastTerm(value) {
    var parts = value.split(/[,;]/);
    return parts[parts.length - 1].trim();
  }
  function suggest(input) {
    var term = lastTerm(input.value);
    if (term.length < 2) { return; }
    fetch(url + "?q=" + encodeURIComponent(term), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) {
        var items = data.results || data.items || [];
        list.textContent = "";
        items.forEach(function (item) {
          var option = document.createElement("option");
          option.value = item.address || item.mssante || item.email || "";
          option.label = item.label || item.name || option.value;
          if (option.value) { list.appendChild(option); }
        });
      })
      .catch(function () { /* suggestions are optional */ });
  }
  ["to", "cc", "bcc"].forEach(function (id) {
    var input = document.getElementById(id);
    if (!input) { return; }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { suggest(input); }, 200);
    });
  });
})();
