/* Help articles suggested under a new ticket's subject while the customer types it.
 *
 * The subject field names the suggestion address (data-suggest-url, the knowledge base's
 * /help/suggest/) and the box to fill (data-suggest-target). Typing waits for a pause
 * (debounce), asks for the HTML fragment of the top articles and puts it in the box; an
 * answer to an older query is dropped. Links open the article in a new tab, so the form is
 * kept. Without JavaScript the form is the same, without suggestions. */
(function () {
  "use strict";
  var WAIT_MS = 350;
  var field = document.querySelector("input[data-suggest-url]");
  var box = field && document.getElementById(field.getAttribute("data-suggest-target"));
  if (!field || !box || !window.fetch) {
    return;
  }
  var timer = null;
  var asked = 0;
  var shown = "";

  function suggest(query) {
    var mine = ++asked;
    if (query.length < 3) {
      box.innerHTML = "";
      shown = query;
      return;
    }
    var url = field.getAttribute("data-suggest-url") + "?format=html&q=" + encodeURIComponent(query);
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (mine === asked) {  // the newest query only
          box.innerHTML = html;  // a fragment the server rendered and escaped
          shown = query;
        }
      })
      .catch(function () { /* no suggestions this time; the form works regardless */ });
  }

  field.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      var query = field.value.trim();
      if (query !== shown) {
        suggest(query);
      }
    }, WAIT_MS);
  });
}());
