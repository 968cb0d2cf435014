// A t-shirt size is a quick pick: choosing one fills the effort in
// person-weeks at once (the server fills it too when JavaScript is off).
(function () {
  "use strict";
  var WEEKS = { xs: "0.5", s: "1", m: "3", l: "6", xl: "12" };
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!(select instanceof HTMLSelectElement) || !select.dataset.fills) return;
    var weeks = WEEKS[select.value];
    var input = document.getElementById(select.dataset.fills);
    if (weeks && input) input.value = weeks;
  });
})();
