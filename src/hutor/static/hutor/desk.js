/* The staff desk's keyboard: "/" focuses the search box, as in most staff tools. */
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var box = document.getElementById("desk-q");
    if (!box || event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var tag = (document.activeElement && document.activeElement.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    event.preventDefault();
    box.focus();
    box.select();
  });
})();
