/* The roadmap board: what htmx cannot do on its own. Line of sight
   (highlight an outcome's cards and open its panel), drag and drop, the
   keyboard card menu, toasts, and telling the server how many cards each
   cell holds. Polling, swapping, morphing, CSRF and history are htmx's. */
(function () {
  "use strict";

  var shell = document.querySelector("[data-board]");
  if (!shell || !window.htmx) return;

  var selected = null; // id of the outcome whose line of sight is shown
  var focusAfterSwap = null;
  var drag = null;

  function grid() { return document.getElementById("board-grid"); }
  function panel() { return document.getElementById("side-panel"); }

  // How many cards the page holds per cell, so answers keep what was loaded.
  function loaded() {
    return Array.from(document.querySelectorAll("#board-grid [data-cell]")).map(function (cell) {
      return cell.dataset.cell + ":" + cell.querySelectorAll(":scope .card-list > [data-card]").length;
    });
  }

  // A board with a form, a menu or a drag in progress is not refreshed now:
  // the next poll asks again.
  function isBusy() {
    return !!document.querySelector("#board-grid [data-card-form], #board-grid .menu, .is-dragging, #board-grid [data-conflict], #board-grid .card-conflict");
  }

  document.body.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    var elt = detail.elt;
    if (elt && elt.closest && elt.closest("[data-filters]")) {
      // Keep shared URLs short: drop empty filters.
      Array.from(detail.formData ? detail.formData.keys() : []).forEach(function (key) {
        if (!detail.formData.get(key)) detail.formData.delete(key);
      });
      return;
    }
    var onBoard = elt && elt.closest && (elt === document.body || elt.closest("#board-grid, #toasts, #side-panel, #board-sync"));
    if (!onBoard) return;
    if (detail.verb !== "get" || elt.id === "board-sync") {
      detail.parameters.loaded = loaded();
    }
    var since = document.getElementById("board-revision");
    if (detail.verb !== "get" && since) detail.parameters.since = since.value;
    // Writes answer with cells drawn under the filters in the address bar.
    if (detail.verb !== "get" && location.search && detail.path.indexOf("?") === -1) {
      detail.path += location.search;
    }
    // A new card starts linked to the outcome in focus.
    if (detail.verb === "get" && selected && elt.classList.contains("cell-add")) {
      detail.path += "&outcome=" + encodeURIComponent(selected);
    }
  });

  document.body.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt && event.detail.elt.id === "board-sync" && isBusy()) {
      event.preventDefault();
    }
  });

  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "side-panel") {
      target.hidden = false;
      var marker = target.querySelector("[data-panel-outcome]");
      if (marker) highlight(marker.dataset.panelOutcome);
    }
  });

  document.body.addEventListener("htmx:afterSettle", function () {
    highlight(selected);
    armToasts();
    if (focusAfterSwap) {
      var card = document.getElementById(focusAfterSwap);
      focusAfterSwap = null;
      if (card) card.focus();
    }
    var field = document.querySelector("[data-card-form] [autofocus]");
    if (field && !field.dataset.focused) {
      field.dataset.focused = "1";
      field.focus();
      if (field.select) field.select();
    }
    var menu = document.querySelector("#board-grid .menu:not([data-focused])");
    if (menu) {
      menu.dataset.focused = "1";
      var first = menu.querySelector("[role=menuitem]");
      if (first) first.focus();
    }
  });

  document.body.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var message = xhr.status === 403
      ? "Only the product's editors can change the roadmap."
      : (xhr.responseText && xhr.responseText.length < 300
        ? xhr.responseText
        : "That did not work (" + xhr.status + "). Please try again.");
    toast(message, "warning");
  });

  // Line of sight ---------------------------------------------------------
  function highlight(outcomeId) {
    selected = outcomeId || null;
    var g = grid();
    if (!g) return;
    g.classList.toggle("has-selection", !!selected);
    g.querySelectorAll("[data-card]").forEach(function (card) {
      var linked = !!selected && card.dataset.outcome === String(selected);
      card.classList.toggle("is-linked", linked);
      card.classList.toggle("is-selected", linked && card.dataset.kind === "outcome");
    });
  }

  function selectOutcome(id) {
    var card = document.getElementById("outcome-" + id);
    highlight(id);
    if (card && card.dataset.panelUrl) {
      htmx.ajax("GET", card.dataset.panelUrl, { target: "#side-panel", swap: "innerHTML" });
    }
  }

  function closePanel() {
    var p = panel();
    p.hidden = true;
    p.innerHTML = "";
    var previous = selected;
    highlight(null);
    if (previous) {
      var card = document.getElementById("outcome-" + previous);
      if (card) card.focus();
    }
  }

  // The card menu: its forms come from the server, opened beside the button.
  function cardUrl(card, action) { return card.dataset.url + action + "/"; }

  var openMenu = null;
  function closeMenu(returnFocus) {
    if (!openMenu) return;
    var button = openMenu.button;
    openMenu.slot.remove();
    button.setAttribute("aria-expanded", "false");
    openMenu = null;
    if (returnFocus && document.body.contains(button)) button.focus();
  }

  function showMenu(button) {
    var card = button.closest("[data-card]");
    if (!card) return;
    closeMenu();
    var slot = document.createElement("div");
    slot.className = "menu-slot";
    button.after(slot);
    button.setAttribute("aria-expanded", "true");
    openMenu = { slot: slot, button: button, card: card };
    htmx.ajax("GET", cardUrl(card, "menu"), { target: slot, swap: "innerHTML" });
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    var menuItem = target.closest("[data-menu-action]");
    if (menuItem && openMenu) {
      var card = openMenu.card;
      closeMenu();
      if (menuItem.dataset.menuAction === "select") selectOutcome(card.dataset.id);
      return;
    }
    if (openMenu && target.closest(".menu [role=menuitem]")) {
      focusAfterSwap = openMenu.card.id;
      return; // the item's own form or htmx request does the work
    }
    var action = target.closest("[data-action=menu]");
    if (action) {
      if (openMenu && openMenu.button === action) closeMenu(true);
      else showMenu(action);
      return;
    }
    if (openMenu && !target.closest(".menu")) closeMenu();
    var selectButton = target.closest("[data-select-outcome]");
    if (selectButton) {
      event.preventDefault();
      selectOutcome(selectButton.dataset.selectOutcome);
      return;
    }
    if (target.closest("[data-close-panel]")) { closePanel(); return; }
    if (target.closest("[data-dismiss]")) { dismiss(target.closest(".toast")); return; }
    var cancel = target.closest("[data-cancel]");
    if (cancel && !cancel.hasAttribute("hx-get")) { cancel.closest("form").remove(); return; }
    var outcome = target.closest(".card-outcome[data-card]");
    if (outcome && !target.closest("button, a, input, select, textarea")) {
      if (selected === outcome.dataset.id) closePanel();
      else selectOutcome(outcome.dataset.id);
    }
  });

  // Keyboard: Enter opens an outcome's line of sight, arrows walk a menu,
  // Escape closes things.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Escape") {
      var form = target.closest && target.closest("[data-card-form]");
      if (form) {
        var cancel = form.querySelector("[data-cancel]");
        if (cancel) { event.preventDefault(); cancel.click(); }
        return;
      }
      if (openMenu) { closeMenu(true); return; }
      if (!panel().hidden) closePanel();
      return;
    }
    if ((event.key === "Enter" || event.key === " ") && target.matches &&
        target.matches(".card-outcome[data-card]")) {
      event.preventDefault();
      selectOutcome(target.dataset.id);
    }
    if (event.key === "Tab" && openMenu && target.closest && target.closest(".menu")) {
      closeMenu();
    }
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && target.closest &&
        target.closest(".menu")) {
      event.preventDefault();
      var items = Array.from(target.closest(".menu").querySelectorAll("[role=menuitem]"));
      var index = items.indexOf(target) + (event.key === "ArrowDown" ? 1 : -1);
      items[(index + items.length) % items.length].focus();
    }
  });

  // Drag and drop (native HTML5) --------------------------------------------
  var marker = document.createElement("div");
  marker.className = "drop-marker";
  marker.setAttribute("aria-hidden", "true");

  function cardAfter(list, y) {
    var cards = Array.from(list.querySelectorAll(":scope > [data-card]:not(.is-dragging)"));
    for (var i = 0; i < cards.length; i++) {
      var box = cards[i].getBoundingClientRect();
      if (y < box.top + box.height / 2) return cards[i];
    }
    return null;
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest("[data-card][draggable=true]");
    if (!card) return;
    drag = { card: card, kind: card.dataset.kind };
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.id);
    window.requestAnimationFrame(function () { card.classList.add("is-dragging"); });
    grid().classList.add("is-dragging-" + drag.kind);
  });

  document.addEventListener("dragover", function (event) {
    if (!drag) return;
    var cell = event.target.closest && event.target.closest("[data-cell]");
    if (!cell || cell.dataset.kind !== drag.kind) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    var list = cell.querySelector(".card-list");
    var after = cardAfter(list, event.clientY);
    if (after) list.insertBefore(marker, after);
    else list.insertBefore(marker, list.querySelector(":scope > [data-more]"));
  });

  document.addEventListener("drop", function (event) {
    if (!drag) return;
    var cell = event.target.closest && event.target.closest("[data-cell]");
    if (!cell || cell.dataset.kind !== drag.kind) return;
    event.preventDefault();
    var list = cell.querySelector(".card-list");
    var before = marker.parentNode === list ? marker.nextElementSibling : cardAfter(list, event.clientY);
    while (before && (before === drag.card || !before.hasAttribute("data-card"))) {
      before = before.nextElementSibling;
    }
    var card = drag.card;
    endDrag();
    focusAfterSwap = card.id;
    htmx.ajax("POST", cardUrl(card, "move"), {
      source: card,
      swap: "none",
      values: {
        version: card.dataset.version,
        horizon: cell.dataset.horizon,
        before: before ? before.dataset.id : ""
      }
    });
  });

  function endDrag() {
    if (!drag) return;
    drag.card.classList.remove("is-dragging");
    grid().classList.remove("is-dragging-" + drag.kind);
    marker.remove();
    drag = null;
  }
  document.addEventListener("dragend", endDrag);

  // Toasts ----------------------------------------------------------------
  function armToasts() {
    document.querySelectorAll(".toast[data-timeout]:not([data-armed])").forEach(function (el) {
      el.dataset.armed = "1";
      var timer = setTimeout(function () { dismiss(el); }, Number(el.dataset.timeout));
      el.addEventListener("mouseenter", function () { clearTimeout(timer); });
      el.addEventListener("focusin", function () { clearTimeout(timer); });
      el.addEventListener("mouseleave", function () {
        timer = setTimeout(function () { dismiss(el); }, 4000);
      });
    });
  }
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.hasAttribute) return;
    if (elt.hasAttribute("data-dismiss-after")) dismiss(elt.closest(".toast"));
    if (elt.hasAttribute("data-remove-after") && event.detail.successful) {
      elt.closest("li").remove();
    }
  });
  function dismiss(el) {
    if (!el) return;
    el.classList.add("is-leaving");
    setTimeout(function () { el.remove(); }, 200);
  }
  function toast(message, tone) {
    var el = document.createElement("div");
    el.className = "toast toast-" + (tone || "info");
    el.setAttribute("role", "status");
    el.dataset.timeout = "8000";
    var text = document.createElement("span");
    text.className = "toast-message";
    text.textContent = message;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "Dismiss");
    close.setAttribute("data-dismiss", "");
    close.textContent = "\u00d7";
    el.append(text, close);
    document.getElementById("toasts").appendChild(el);
    armToasts();
  }

  highlight(null);
})();
