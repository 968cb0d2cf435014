/* The roadmap board: line of sight, drag and drop, keyboard moves, inline
   editing keys, toasts and keeping the board current. Small and hand-written;
   every change goes to the server through htmx or fetch with the CSRF header. */
(function () {
  "use strict";

  var shell = document.querySelector("[data-board]");
  if (!shell || !window.htmx) return;

  var POLL_MS = 10000;
  var boardUrl = shell.dataset.boardUrl;
  var revisionUrl = shell.dataset.revisionUrl;
  var selected = null; // id of the outcome whose line of sight is shown
  var focusAfterSwap = null;
  var drag = null;

  function grid() { return document.getElementById("board-grid"); }
  function panel() { return document.getElementById("side-panel"); }
  function revision() { return Number(grid().dataset.revision); }
  function setRevision(value) { grid().dataset.revision = String(value); }

  function csrfHeaders() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    } catch (e) {
      return {};
    }
  }

  // Board-wide writes re-render the grid with the filters in the address bar.
  document.body.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    var elt = detail.elt;
    if (elt && elt.closest && elt.closest("[data-filters]")) {
      // Keep shared URLs short: drop empty filters.
      var data = detail.formData;
      if (data) {
        Array.from(data.keys()).forEach(function (key) {
          if (!data.get(key)) data.delete(key);
        });
      }
      return;
    }
    if (detail.verb !== "get" && detail.target && detail.target.id === "board-grid" &&
        location.search && detail.path.indexOf("?") === -1) {
      detail.path += location.search;
    }
    // A new card starts linked to the outcome in focus.
    if (detail.verb === "get" && selected && elt && elt.classList.contains("cell-add")) {
      detail.path += "&outcome=" + encodeURIComponent(selected);
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
    var form = document.querySelector("[data-card-form] [autofocus]");
    if (form && !form.dataset.focused) {
      form.dataset.focused = "1";
      form.focus();
      if (form.select) form.select();
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

  // A write made here: take its revision if nothing else happened meanwhile.
  document.body.addEventListener("board-changed", function (event) {
    var detail = event.detail || {};
    if (detail.grid) return; // the swapped grid carries its own revision
    if (detail.revision === revision() + 1) setRevision(detail.revision);
    if (detail.stale) refreshGrid();
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

  // Card actions: one menu template, cloned into the card that asks for it.
  function post(url, values, target) {
    return htmx.ajax("POST", url, {
      target: target || "#board-grid",
      swap: "outerHTML",
      headers: csrfHeaders(),
      values: values
    });
  }

  // A card carries its own URL (reversed on the server); its actions live
  // beside it: edit/, move/ and delete/. One URL keeps big boards small.
  function cardUrl(card, action) { return card.dataset.url + action + "/"; }

  function editCard(card) {
    closeMenu();
    htmx.ajax("GET", cardUrl(card, "edit"), { target: card, swap: "outerHTML" });
  }

  var openMenu = null;
  function closeMenu(returnFocus) {
    if (!openMenu) return;
    var button = openMenu.button;
    openMenu.menu.remove();
    button.setAttribute("aria-expanded", "false");
    openMenu = null;
    if (returnFocus && document.body.contains(button)) button.focus();
  }

  function showMenu(button) {
    var card = button.closest("[data-card]");
    var template = document.getElementById("card-menu-template");
    if (!card || !template) return;
    closeMenu();
    var menu = template.content.firstElementChild.cloneNode(true);
    menu.querySelectorAll("[data-only]").forEach(function (item) {
      if (item.dataset.only !== card.dataset.kind) item.remove();
    });
    menu.querySelectorAll("[data-horizon]").forEach(function (item) {
      if (item.dataset.horizon === card.dataset.horizon) item.remove();
    });
    button.after(menu);
    button.setAttribute("aria-expanded", "true");
    openMenu = { menu: menu, button: button, card: card };
    menu.querySelector("button").focus();
  }

  function runMenuAction(item) {
    var card = openMenu.card;
    var action = item.dataset.menuAction;
    closeMenu();
    if (action === "select") { selectOutcome(card.dataset.id); return; }
    if (action === "edit") { editCard(card); return; }
    var version = card.dataset.version;
    if (action === "delete") { post(cardUrl(card, "delete"), { version: version }); return; }
    focusAfterSwap = card.id;
    if (action === "move") {
      post(cardUrl(card, "move"), { version: version, horizon: item.dataset.horizon });
    } else {
      post(cardUrl(card, "move"), { version: version, direction: action });
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    var menuItem = target.closest("[data-menu-action]");
    if (menuItem && openMenu) { runMenuAction(menuItem); return; }
    var action = target.closest("[data-action]");
    if (action) {
      var actionCard = action.closest("[data-card]");
      if (action.dataset.action === "menu") {
        if (openMenu && openMenu.button === action) closeMenu(true);
        else showMenu(action);
      } else if (action.dataset.action === "edit" && actionCard) {
        editCard(actionCard);
      }
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
    if (target.closest("[data-refresh-board]")) { refreshGrid(true); return; }
    var cancel = target.closest("[data-cancel]");
    if (cancel && !cancel.hasAttribute("hx-get")) { cancel.closest("form").remove(); return; }
    var card = target.closest(".card-outcome[data-card]");
    if (card && !target.closest("button, a, input, select, textarea")) {
      if (selected === card.dataset.id) closePanel();
      else selectOutcome(card.dataset.id);
    }
  });

  // Keyboard: Enter opens an outcome's line of sight, Escape closes things.
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
        target.closest(".card .menu")) {
      event.preventDefault();
      var items = Array.from(target.closest(".menu").querySelectorAll("button"));
      var index = items.indexOf(target) + (event.key === "ArrowDown" ? 1 : -1);
      if (items[(index + items.length) % items.length]) items[(index + items.length) % items.length].focus();
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
    else list.appendChild(marker);
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
    post(cardUrl(card, "move"), {
      version: card.dataset.version,
      horizon: cell.dataset.horizon,
      before: before ? before.dataset.id : ""
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
    if (elt && elt.hasAttribute && elt.hasAttribute("data-dismiss-after")) {
      dismiss(elt.closest(".toast"));
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

  // Keeping current: a cheap revision check, then only the changed cells ---------
  function isBusy(cell) {
    return !!cell.querySelector("[data-card-form], form, .menu, .is-dragging");
  }

  function refreshGrid(force) {
    if (drag) return Promise.resolve();
    return fetch(boardUrl + location.search, {
      headers: { "HX-Request": "true" },
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (response) {
      if (!response.ok) return;
      return response.text().then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("board-grid");
        var current = grid();
        if (!fresh || !current) return;
        var skipped = false;
        fresh.querySelectorAll("[data-cell]").forEach(function (cell) {
          var old = current.querySelector('[data-cell="' + cell.dataset.cell + '"]');
          if (!old) return;
          if (!force && isBusy(old)) { skipped = skipped || old.dataset.digest !== cell.dataset.digest; return; }
          if (old.dataset.digest === cell.dataset.digest) return;
          var fragment = document.importNode(cell, true);
          fragment.classList.add("is-fresh");
          old.replaceWith(fragment);
          htmx.process(fragment);
        });
        var summary = fresh.querySelector(".board-summary");
        var oldSummary = current.querySelector(".board-summary");
        if (summary && oldSummary) oldSummary.textContent = summary.textContent;
        if (!skipped) setRevision(Number(fresh.dataset.revision));
        highlight(selected);
        var marker = panel().querySelector("[data-panel-outcome]");
        if (marker && !panel().hidden && !panel().querySelector("form :focus")) {
          var card = document.getElementById("outcome-" + marker.dataset.panelOutcome);
          if (card) htmx.ajax("GET", card.dataset.panelUrl, { target: "#side-panel", swap: "innerHTML" });
        }
      });
    }).catch(function () { /* offline for a moment: try again on the next poll */ });
  }

  function poll() {
    if (document.hidden || !grid()) return;
    fetch(revisionUrl, {
      headers: { "If-None-Match": '"' + revision() + '"' },
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (response) {
      if (response.status !== 200) return; // 304: nothing changed
      var latest = Number((response.headers.get("ETag") || "").replace(/"/g, ""));
      if (latest && latest !== revision()) return refreshGrid(false);
    }).catch(function () { /* try again on the next poll */ });
  }
  setInterval(poll, POLL_MS);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });

  // Back and forward through filtered boards.
  window.addEventListener("popstate", function () { refreshGrid(true); });

  highlight(null);
})();
