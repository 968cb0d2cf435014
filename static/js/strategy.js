// Inline editing on the strategy pages: Cancel closes, Escape cancels.
// The line of sight's tree: each branch folds under its arrow button.
(function () {
  "use strict";

  // A create form's Cancel just closes the form.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss]");
    if (button) {
      button.closest("form").remove();
    }
  });

  // Escape in an inline form presses its Cancel button.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !event.target.closest) {
      return;
    }
    var form = event.target.closest("form[data-inline-edit]");
    var cancel = form && form.querySelector("[data-cancel]");
    if (cancel) {
      event.preventDefault();
      cancel.click();
    }
  });

  // Line of sight: the arrow beside a row folds or unfolds the branch below
  // it. Without this script the whole tree stays open and the arrows hidden.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-fold]");
    if (!toggle) {
      return;
    }
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    var branch = toggle.closest(".node").querySelector(":scope > .node-branch");
    if (branch) {
      branch.hidden = !open;
    }
  });
  document.querySelectorAll("[data-fold], [data-fold-hint]").forEach(function (element) {
    element.hidden = false;
  });
})();
