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

/* A ticket's reply form: choosing a canned answer inserts its text, rendered for the ticket by
   the server (the option's data-text), where the cursor is in the reply. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select || !select.matches || !select.matches("select[data-canned-for]")) return;
    var option = select.options[select.selectedIndex];
    var area = document.getElementById(select.getAttribute("data-canned-for"));
    if (!option || !option.value || !area) return;
    var text = option.getAttribute("data-text") || "";
    var start = area.selectionStart || 0;
    var end = area.selectionEnd || 0;
    if (!area.value) {
      area.value = text;
    } else {
      area.value = area.value.slice(0, start) + text + area.value.slice(end);
    }
    area.focus();
    var caret = area.value ? start + text.length : text.length;
    area.setSelectionRange(caret, caret);
    select.selectedIndex = 0;
  });
})();
