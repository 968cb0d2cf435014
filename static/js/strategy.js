// Inline editing on the strategy pages: Cancel closes, Escape cancels.
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
})();
