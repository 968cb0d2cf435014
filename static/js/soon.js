// The Soon kit: copy a customer-ready line, close a request form.
(function () {
  "use strict";

  function announce(text) {
    var status = document.getElementById("copy-status");
    if (status) {
      status.textContent = "";
      window.setTimeout(function () { status.textContent = text; }, 30);
    }
  }

  // Without the async clipboard (plain http, older browsers), copy through a
  // hidden text area, which every browser still allows on a click.
  function copyByCommand(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
    area.remove();
    return copied;
  }

  function copied(button) {
    var label = button.textContent;
    button.textContent = "Copied";
    announce("Copied: " + button.dataset.copy);
    window.setTimeout(function () { button.textContent = label; }, 2000);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (button) {
      var text = button.dataset.copy;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () { copied(button); },
          function () { if (copyByCommand(text)) { copied(button); } else { announce("Copy failed: select the text and copy it by hand."); } }
        );
      } else if (copyByCommand(text)) {
        copied(button);
      } else {
        announce("Copy failed: select the text and copy it by hand.");
      }
      return;
    }
    var cancel = event.target.closest("[data-cancel-request]");
    if (cancel) {
      var item = cancel.closest(".soon-item");
      cancel.closest("form").remove();
      var opener = item && item.querySelector(".soon-item-actions a");
      if (opener) { opener.focus(); }
    }
  });

  // An opened request form takes the focus; Escape closes it.
  document.addEventListener("htmx:afterSwap", function (event) {
    var field = event.target.querySelector && event.target.querySelector(".soon-request input:not([type=hidden])");
    if (field) { field.focus(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !event.target.closest) { return; }
    var form = event.target.closest(".soon-request");
    var cancel = form && form.querySelector("[data-cancel-request]");
    if (cancel) { event.preventDefault(); cancel.click(); }
  });
})();
