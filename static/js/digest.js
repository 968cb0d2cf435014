// The email digest: copy it as rich text (for an email) or as plain text.
(function () {
  "use strict";

  function announce(text) {
    var status = document.getElementById("copy-status");
    if (status) {
      status.textContent = "";
      window.setTimeout(function () { status.textContent = text; }, 30);
    }
  }

  // Without the async clipboard (plain http), select the element and copy.
  function copyBySelection(element) {
    var selection = window.getSelection();
    var range = document.createRange();
    if (element.select) {
      element.select();
    } else {
      range.selectNodeContents(element);
      selection.removeAllRanges();
      selection.addRange(range);
    }
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
    selection.removeAllRanges();
    return copied;
  }

  function done(button, ok) {
    if (!ok) {
      announce("Copy failed: select the text and copy it by hand.");
      return;
    }
    var label = button.textContent;
    button.textContent = "Copied";
    announce("Copied the digest.");
    window.setTimeout(function () { button.textContent = label; }, 2000);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) { return; }
    var element = document.getElementById(button.dataset.copyTarget);
    if (!element) { return; }
    var asHtml = button.dataset.copyKind === "html";
    var text = asHtml ? element.innerText : element.value;
    if (navigator.clipboard && window.isSecureContext) {
      var write = asHtml && window.ClipboardItem
        ? navigator.clipboard.write([new window.ClipboardItem({
            "text/html": new Blob([element.innerHTML], { type: "text/html" }),
            "text/plain": new Blob([text], { type: "text/plain" })
          })])
        : navigator.clipboard.writeText(text);
      write.then(
        function () { done(button, true); },
        function () { done(button, copyBySelection(element)); }
      );
    } else {
      done(button, copyBySelection(element));
    }
  });
})();
