// The triage inbox's keys (/admin/triage): j and k move to the next and previous submission of the list,
// Enter opens it (the link has the focus), / goes to the search box.  Not while typing in a field.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (target && /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) return;
    var links = Array.prototype.slice.call(document.querySelectorAll("#inbox tbody a"));
    if (event.key === "/") {
      var search = document.getElementById("q");
      if (search) { event.preventDefault(); search.focus(); }
      return;
    }
    if ((event.key !== "j" && event.key !== "k") || links.length === 0) return;
    event.preventDefault();
    var at = links.indexOf(document.activeElement);
    var next = event.key === "j" ? Math.min(at + 1, links.length - 1) : Math.max(at - 1, 0);
    links[next].focus();
  });
})();
