/* Hutor: the few behaviours that need JavaScript. Every page works without it. */
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain http on a non-local host: the old way, through a hidden text area.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      try {
        if (document.execCommand("copy")) {
          resolve();
        } else {
          reject(new Error("copy refused"));
        }
      } catch (error) {
        reject(error);
      } finally {
        document.body.removeChild(area);
      }
    });
  }

  function selectContents(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  /* <button data-copy-target="ID" data-copied-text="Copied" hidden>: copies the text of the
     element ID in one click. The button stays hidden where there is no script to run it. */
  function setUpCopyButton(button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (!target) {
      return;
    }
    var label = button.querySelector("[data-copy-label]") || button;
    var status = document.getElementById(button.getAttribute("aria-describedby") || "");
    var idle = label.textContent;
    var timer = null;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = target.textContent.replace(/\s+/g, "");
      copyText(text).then(
        function () {
          var done = button.getAttribute("data-copied-text") || idle;
          button.classList.add("is-copied");
          label.textContent = done;
          if (status) {
            status.textContent = done;
          }
          window.clearTimeout(timer);
          timer = window.setTimeout(function () {
            button.classList.remove("is-copied");
            label.textContent = idle;
            if (status) {
              status.textContent = "";
            }
          }, 2000);
        },
        function () {
          selectContents(target); // let the person press Ctrl+C
        }
      );
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("[data-copy-target]");
    for (var i = 0; i < buttons.length; i++) {
      setUpCopyButton(buttons[i]);
    }
  });
})();
