/* Hutor: the few behaviours that need JavaScript. Every page works without it. */
(function () {
  "use strict";

  var COPY_ICON =
    '<svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">' +
    '<rect x="5.5" y="5.5" width="8" height="8" rx="1.5" fill="none" stroke="currentColor" stroke-width="1.5"/>' +
    '<path d="M10.5 3.5v-.5A1.5 1.5 0 0 0 9 1.5H4A1.5 1.5 0 0 0 2.5 3v5A1.5 1.5 0 0 0 4 9.5h.5" fill="none" stroke="currentColor" stroke-width="1.5"/></svg>';

  function each(selector, callback, root) {
    var found = (root || document).querySelectorAll(selector);
    for (var i = 0; i < found.length; i++) {
      callback(found[i]);
    }
  }

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

  /* One polite live region for the buttons this script creates. */
  function sharedStatus() {
    var status = document.getElementById("copy-status-auto");
    if (!status) {
      status = document.createElement("span");
      status.id = "copy-status-auto";
      status.className = "visually-hidden";
      status.setAttribute("role", "status");
      document.body.appendChild(status);
    }
    return status;
  }

  /* <button data-copy-target="ID" data-copied-text="Copied" hidden>: copies the text of the
     element ID in one click. The button stays hidden where there is no script to run it.
     A click on the element itself copies too. */
  function setUpCopyButton(button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (!target || button.hasAttribute("data-copy-ready")) {
      return;
    }
    button.setAttribute("data-copy-ready", "");
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
          target.classList.add("is-copied");
          label.textContent = done;
          if (status) {
            status.textContent = done;
          }
          window.clearTimeout(timer);
          timer = window.setTimeout(function () {
            button.classList.remove("is-copied");
            target.classList.remove("is-copied");
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
    // The number itself is a (mouse) shortcut for its button; keyboards use the button.
    target.classList.add("is-copyable");
    target.title = idle.trim();
    target.addEventListener("click", function () {
      button.click();
    });
  }

  /* <span id="ID" data-copy="Copy number" data-copied-text="Copied">: a number to copy. Gets a
     copy button right after it, labelled with the attribute's value, unless the page already
     has a button with data-copy-target="ID". */
  var generated = 0;
  function setUpCopyable(element) {
    if (!element.id) {
      generated += 1;
      element.id = "copy-source-" + generated;
    }
    if (document.querySelector('[data-copy-target="' + element.id + '"]')) {
      return; // set up with its own button
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-secondary btn-copy";
    button.setAttribute("data-copy-target", element.id);
    button.setAttribute("aria-describedby", sharedStatus().id);
    var copied = element.getAttribute("data-copied-text");
    if (copied) {
      button.setAttribute("data-copied-text", copied);
    }
    button.innerHTML = COPY_ICON + "<span data-copy-label></span>";
    var text = element.getAttribute("data-copy");
    if (!text) {
      // The page did not name the button (data-copy without a value): a plain fallback.
      text = /^ru\b/.test(document.documentElement.lang) ? "Скопировать" : "Copy";
    }
    button.querySelector("[data-copy-label]").textContent = text;
    element.insertAdjacentElement("afterend", button);
  }

  /* <button data-once> in a form: after the first submit the button is disabled, so a double
     click sends one request. Disabled on the submit event (not on click), once the browser has
     taken the form's data, so the submission itself goes through. */
  function onSubmit(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) {
      return;
    }
    var buttons = form.querySelectorAll("[data-once]");
    if (!buttons.length) {
      return;
    }
    if (form.hasAttribute("data-submitting")) {
      event.preventDefault(); // a second submit of the same form
      return;
    }
    form.setAttribute("data-submitting", "");
    window.setTimeout(function () {
      for (var i = 0; i < buttons.length; i++) {
        buttons[i].disabled = true;
        buttons[i].classList.add("is-busy");
      }
    }, 0);
  }

  /* Back to a page from the browser's history cache: its forms work again. */
  function onPageShow(event) {
    if (!event.persisted) {
      return;
    }
    each("form[data-submitting]", function (form) {
      form.removeAttribute("data-submitting");
      each(
        "[data-once]",
        function (button) {
          button.disabled = false;
          button.classList.remove("is-busy");
        },
        form
      );
    });
  }

  /* The order form: the summary follows the chosen period. */
  function setUpOrderSummary(form) {
    var choices = form.querySelector(".period-choices");
    if (!choices) {
      return;
    }
    function update() {
      var checked = choices.querySelector("input[type=radio]:checked");
      if (!checked) {
        return;
      }
      var tile = checked.closest(".period-choice");
      each(
        "[data-summary]",
        function (slot) {
          var part = tile.querySelector('[data-part="' + slot.getAttribute("data-summary") + '"]');
          slot.textContent = part ? part.textContent.trim() : "";
        },
        form
      );
    }
    choices.addEventListener("change", update);
    update();
    setUpDomainSummary(form);
  }

  /* "Also register this domain": the summary shows the year's price of the domain's zone while
     the box is checked and the name is in a zone we sell. */
  function setUpDomainSummary(form) {
    var row = form.querySelector("[data-domain-summary]");
    var box = form.querySelector("input[name=register_domain]");
    var name = form.querySelector("input[name=identifier]");
    if (!row || !box || !name) {
      return;
    }
    var prices = {};
    row.getAttribute("data-zone-prices").split(";").forEach(function (pair) {
      var at = pair.indexOf("=");
      if (at > 0) {
        prices[pair.slice(0, at)] = pair.slice(at + 1);
      }
    });
    function update() {
      var text = name.value.trim().toLowerCase().replace(/\.$/, "");
      var zone = text.slice(text.lastIndexOf(".") + 1);
      var price = text.indexOf(".") > 0 ? prices[zone] : undefined;
      row.hidden = !(box.checked && price);
      row.querySelector("[data-domain-price]").textContent = price || "";
    }
    box.addEventListener("change", update);
    name.addEventListener("input", update);
    update();
  }

  /* A new customer's domain owner on the order form: the owner's name, email and phone follow
     the order's own as they are typed, until the visitor types something else there. Without
     script the owner's fields stay empty, which the server reads as "the same". */
  function setUpOwnerPrefill(form) {
    if (!form.querySelector("[data-owner]")) {
      return;
    }
    ["name", "email", "phone"].forEach(function (name) {
      var source = form.querySelector('[name="' + name + '"]');
      var target = form.querySelector('[name="owner-' + name + '"]');
      if (!source || !target) {
        return;
      }
      var copied = "";
      function copy() {
        if (target.value === "" || target.value === copied) {
          target.value = copied = source.value;
        }
      }
      source.addEventListener("input", copy);
      copy();
    });
  }

  /* <button data-print hidden>: prints the page; hidden where there is no script. */
  function setUpPrint(button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  }

  /* A form sent back with errors: the first field to fix gets the focus, which also brings
     it into view and has screen readers read its label and error. */
  function focusFirstError() {
    if (document.querySelector("[autofocus]")) {
      return;
    }
    var invalid = document.querySelector('form[novalidate] [aria-invalid="true"]');
    if (invalid) {
      invalid.focus();
    }
  }

  /* The panel's tab bar on narrow screens scrolls sideways: the current tab is brought into
     view, and data-scroll="start end" tells the stylesheet which side has more tabs. */
  function setUpTabBar(nav) {
    function update() {
      var state = [];
      if (nav.scrollLeft > 2) {
        state.push("start");
      }
      if (nav.scrollLeft + nav.clientWidth < nav.scrollWidth - 2) {
        state.push("end");
      }
      nav.setAttribute("data-scroll", state.join(" "));
    }
    var current = nav.querySelector('[aria-current="page"]');
    if (current && nav.scrollWidth > nav.clientWidth) {
      nav.scrollLeft = current.offsetLeft - (nav.clientWidth - current.offsetWidth) / 2;
    }
    nav.addEventListener("scroll", update, { passive: true });
    window.addEventListener("resize", update);
    update();
  }

  /* A table wider than its box scrolls inside it: keyboard users can then focus the box and
     scroll it with the arrow keys. */
  function setUpTableScroll(wrap) {
    function update() {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        wrap.setAttribute("tabindex", "0");
      } else {
        wrap.removeAttribute("tabindex");
      }
    }
    window.addEventListener("resize", update);
    update();
  }

  document.addEventListener("submit", onSubmit);
  window.addEventListener("pageshow", onPageShow);

  document.addEventListener("DOMContentLoaded", function () {
    each("[data-copy]", setUpCopyable);
    each("[data-copy-target]", setUpCopyButton);
    each("form.order-form", setUpOrderSummary);
    each("form.order-form", setUpOwnerPrefill);
    each("[data-print]", setUpPrint);
    each(".panel-nav", setUpTabBar);
    each(".table-wrap", setUpTableScroll);
    focusFirstError();
  });
})();
