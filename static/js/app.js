// Behaviour every page shares, kept out of the markup so the
// Content-Security-Policy can forbid inline scripts and handlers:
// - [data-select-on-focus]: a read-only field (a new token or link) selects
//   its whole text when focused, ready to copy;
// - form[data-confirm]: asks before submitting (revoking a token or a link);
// - [data-print]: opens the browser's print dialog.
(function () {
  "use strict";

  document.addEventListener("focusin", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-select-on-focus]")) {
      field.select();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form[data-confirm]") && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) {
      window.print();
    }
  });
})();
