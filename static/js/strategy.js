// Inline editing on the strategy pages: show conflicts, let Escape cancel.
(function () {
  "use strict";

  // htmx 2 ignores 4xx answers; a 409 carries the conflict partial (their
  // saved text beside yours), which the person must see.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

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
