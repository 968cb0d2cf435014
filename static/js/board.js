/* The roadmap board: what htmx cannot do on its own. Line of sight
   (highlight an outcome's cards and open its panel), drag and drop, the
   keyboard grid (one tab stop, arrow keys, moves with Alt), the card menu,
   the shortcuts dialog, toasts, and telling the server how many cards each
   cell holds. Polling, swapping, morphing, CSRF and history are htmx's. */
(function () {
  "use strict";

  var shell = document.querySelector("[data-board]");
  if (!shell || !window.htmx) return;

  var selected = null; // id of the outcome whose line of sight is shown
  var focusAfterSwap = null; // {id, place}: what to focus once a write is drawn
  var pendingMove = null; // {id, title, horizon}: announced once drawn
  var pendingAdd = null; // {cell, ids}: the new card of an add form gets focus
  var pendingMore = null; // {cell, count}: "Show more" hands focus to the next card
  var writes = 0; // writes in flight: the poll waits for them
  var focusWasInGrid = false;
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
    return writes > 0 || !!document.querySelector("#board-grid [data-card-form], #board-grid .menu-slot, #board-grid .menu, .is-dragging, #board-grid [data-conflict], #board-grid .card-conflict");
  }

  // A write names the outcomes it changed (outcome-changed); the open side
  // panel of one of them reloads itself.
  document.body.addEventListener("outcome-changed", function (event) {
    var changed = (event.detail && event.detail.outcomes) || [];
    document.querySelectorAll("[data-panel-listener]").forEach(function (listener) {
      if (changed.indexOf(Number(listener.dataset.panelListener)) !== -1) {
        htmx.trigger(listener, "panel-refresh");
      }
    });
  });

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
    var elt = event.detail.elt;
    if (elt && elt.id === "board-sync" && isBusy()) {
      event.preventDefault();
      return;
    }
    if (!elt || !elt.closest) return;
    var active = document.activeElement;
    // Where focus goes once the answer is drawn: back to the card a form
    // edited, to the card an Undo brings back, to the card an add form adds.
    var form = elt.closest("[data-card-form]");
    if (form && form.id && form.contains(active)) {
      focusAfterSwap = { id: form.id, place: null };
    } else if (form && form.classList.contains("add-form") && form.contains(active)) {
      var cell = form.closest("[data-cell]");
      if (cell) pendingAdd = { cell: cell.dataset.cell, ids: cardsOf(cell).map(function (c) { return c.id; }) };
    }
    if (elt.hasAttribute("data-focus-after")) {
      focusAfterSwap = { id: elt.getAttribute("data-focus-after"), place: null };
    }
    if (elt.matches("[data-more]") && active === elt) {
      var moreCell = elt.closest("[data-cell]");
      pendingMore = { cell: moreCell.dataset.cell, count: cardsOf(moreCell).length };
    }
  });

  // Writes in flight hold the poll, so a refresh never lands between a
  // write and its answer (and never takes the focus away from a moved card).
  document.body.addEventListener("htmx:beforeSend", function (event) {
    var verb = event.detail.requestConfig && event.detail.requestConfig.verb;
    if (verb && verb !== "get" && event.detail.xhr) {
      writes += 1;
      event.detail.xhr.addEventListener("loadend", function () { writes = Math.max(0, writes - 1); });
    }
  });

  function swapStarts() {
    var g = grid();
    focusWasInGrid = focusWasInGrid || !!(g && g.contains(document.activeElement));
  }
  document.body.addEventListener("htmx:beforeSwap", swapStarts);
  // A refresh asked for before a menu opened (or a form, or a drag) would
  // merge the grid under it and take it away: drop it, the next poll asks
  // again once the person is done.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (source && source.id === "board-sync" && isBusy()) {
      event.detail.shouldSwap = false;
    }
  });
  document.body.addEventListener("htmx:oobBeforeSwap", swapStarts);

  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "side-panel") {
      target.hidden = false;
      var marker = target.querySelector("[data-panel-outcome]");
      if (marker) highlight(marker.dataset.panelOutcome);
    }
  });

  // "Show N more" loads its cards while it is still a screen away, so the
  // cards it adds push down only what is off screen: the page does not jump
  // under a person scrolling. (htmx's own intersect trigger has no margin.)
  var nearScreen = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (!entry.isIntersecting) return;
      nearScreen.unobserve(entry.target);
      htmx.trigger(entry.target, "near-screen");
    });
  }, {rootMargin: "100% 0px"}) : null;
  function watchMoreButtons() {
    if (!nearScreen) return;
    document.querySelectorAll("#board-grid [data-more]").forEach(function (button) {
      nearScreen.observe(button);
    });
  }

  document.body.addEventListener("htmx:afterSettle", function () {
    watchMoreButtons();
    highlight(selected);
    armToasts();
    if (openMenu && !openMenu.slot.isConnected) openMenu = null;
    rove();
    settleFocus();
    var field = document.querySelector("[data-card-form] [autofocus]");
    if (field && !field.dataset.focused) {
      field.dataset.focused = "1";
      field.focus();
      if (field.select) field.select();
    }
    var menu = document.querySelector("#board-grid .menu:not([data-focused])");
    if (menu) {
      menu.dataset.focused = "1";
      placeMenu(menu);
      var first = menu.querySelector("[role=menuitem]");
      if (first) first.focus();
    }
  });

  // After a swap: focus what the action asked for, else keep the focus on
  // the board if the swap took away the element that had it.
  function settleFocus() {
    var wanted = null;
    if (focusAfterSwap) {
      wanted = document.getElementById(focusAfterSwap.id);
      if (!isItem(wanted)) wanted = focusAfterSwap.place ? itemAtPlace(focusAfterSwap.place) : null;
      focusAfterSwap = null;
    }
    if (pendingAdd) {
      var cell = document.getElementById("cell-" + pendingAdd.cell);
      var known = pendingAdd.ids;
      var added = cell && cardsOf(cell).filter(function (c) { return known.indexOf(c.id) === -1; })[0];
      if (added || !cell || !cell.querySelector(".add-form")) pendingAdd = null;
      if (added) {
        wanted = added;
        announce("Added “" + titleOf(added) + "” to " + cell.dataset.label + ".");
      }
    }
    if (pendingMore) {
      var moreCell = document.getElementById("cell-" + pendingMore.cell);
      if (moreCell) {
        var cards = cardsOf(moreCell);
        var next = cards[pendingMore.count] || cards[cards.length - 1];
        if (next) {
          wanted = next;
          announce((cards.length - pendingMore.count) + " more cards shown.");
        }
      }
      pendingMore = null;
    }
    if (pendingMove) {
      var moved = document.getElementById(pendingMove.id);
      var movedCell = moved && moved.closest("[data-cell]");
      // A refused move (someone changed the card) leaves its version as it was.
      if (movedCell && moved.dataset.version !== pendingMove.version) {
        if (movedCell.dataset.horizon !== pendingMove.horizon) {
          announce("Moved “" + pendingMove.title + "” to " + movedCell.dataset.label + ".");
        } else {
          var index = cardsOf(movedCell).indexOf(moved);
          announce("Moved “" + pendingMove.title + "” to place " + (index + 1) + " of " + movedCell.dataset.shown + " in " + movedCell.dataset.label + ".");
        }
      }
      pendingMove = null;
    }
    var lost = !document.activeElement || document.activeElement === document.body;
    if (!wanted && focusWasInGrid && lost) {
      // A form or conflict view drawn in the grid keeps the focus in it.
      var form = document.querySelector("#board-grid [data-card-form]");
      var field = form && form.querySelector("[autofocus], input:not([type=hidden]), textarea, select, button");
      if (field) field.focus();
      else wanted = currentItem();
    }
    focusWasInGrid = false;
    if (wanted) focusItem(wanted);
  }

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
      if (card) focusItem(card);
    }
  }

  // The card menu: its forms come from the server, opened beside the button.
  function cardUrl(card, action) { return card.dataset.url + action + "/"; }

  var openMenu = null;
  function closeMenu(returnFocus) {
    if (!openMenu) return;
    var button = openMenu.button;
    var back = openMenu.returnTo;
    openMenu.slot.remove();
    button.setAttribute("aria-expanded", "false");
    openMenu = null;
    if (!returnFocus) return;
    if (back.isConnected) back.focus();
    else if (document.getElementById(back.id)) focusItem(document.getElementById(back.id));
  }

  // `returnTo`: what Escape focuses again (the button, or the card when the
  // menu was opened from the keyboard on the card).
  function showMenu(button, returnTo) {
    var card = button.closest("[data-card]");
    if (!card) return;
    closeMenu();
    dropReasonToasts(); // the person has moved on; the toast would cover the menu
    var slot = document.createElement("div");
    slot.className = "menu-slot";
    button.after(slot);
    button.setAttribute("aria-expanded", "true");
    openMenu = { slot: slot, button: button, card: card, returnTo: returnTo || button };
    htmx.ajax("GET", cardUrl(card, "menu"), { target: slot, swap: "innerHTML" });
  }

  // A menu opens below its button, or above the card when there is no room
  // below; it is shifted sideways to stay inside the window.
  function placeMenu(menu) {
    var margin = 8;
    menu.classList.remove("is-up");
    menu.style.transform = "";
    var box = menu.getBoundingClientRect();
    var card = menu.closest("[data-card]");
    if (box.bottom > window.innerHeight - margin && card) {
      var above = card.getBoundingClientRect().top - margin;
      var below = window.innerHeight - margin - box.top;
      if (above >= box.height || above > below) menu.classList.add("is-up");
    }
    box = menu.getBoundingClientRect();
    var width = document.documentElement.clientWidth;
    var shift = 0;
    if (box.right > width - margin) shift = width - margin - box.right;
    if (box.left + shift < margin) shift = margin - box.left;
    if (shift) menu.style.transform = "translateX(" + Math.round(shift) + "px)";
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    var menuItem = target.closest("[data-menu-action]");
    if (menuItem && openMenu) {
      var card = openMenu.card;
      closeMenu();
      if (menuItem.dataset.menuAction === "select") selectOutcome(card.dataset.id);
      // A form that opens in the side panel (closing an outcome); without
      // JavaScript the item is a link to it as a page of its own.
      if (menuItem.dataset.menuAction === "panel") {
        event.preventDefault();
        htmx.ajax("GET", menuItem.getAttribute("href"), { target: "#side-panel", swap: "innerHTML" });
      }
      return;
    }
    if (openMenu && target.closest(".menu [role=menuitem]")) {
      var menuCard = openMenu.card;
      focusAfterSwap = { id: menuCard.id, place: placeOf(menuCard) };
      var menuForm = target.closest("form");
      if (menuForm && menuForm.querySelector("[name=horizon], [name=direction]")) {
        pendingMove = { id: menuCard.id, title: titleOf(menuCard), horizon: menuCard.dataset.horizon, version: menuCard.dataset.version };
      }
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
    if (target.closest("[data-open-keys]")) { openKeys(); return; }
    var cancel = target.closest("[data-cancel]");
    if (cancel && !cancel.hasAttribute("hx-get")) {
      var cancelled = cancel.closest("form");
      var addCell = cancelled.closest("[data-cell]");
      var hadFocus = cancelled.contains(document.activeElement);
      cancelled.remove();
      if (addCell && hadFocus) focusItem(addCell.querySelector(".cell-add") || itemsOf(addCell)[0] || addCell);
      return;
    }
    var outcome = target.closest(".card-outcome[data-card]");
    if (outcome && !target.closest("button, a, input, select, textarea")) {
      if (selected === outcome.dataset.id) closePanel();
      else selectOutcome(outcome.dataset.id);
    }
  });

  // The keyboard grid -------------------------------------------------------
  // The board is a WAI-ARIA grid and one stop of the Tab key (a roving
  // tabindex): arrow keys move between the items of a cell (its cards, then
  // "Show more", then "+ Add") and across cells; the cards' own buttons
  // leave the Tab order and are reached with F2 or the card menu. The server
  // draws every item tabbable, so the board still works without JavaScript;
  // rove() takes them out of the Tab order after each swap.
  var ROVING = "[data-card]:not([data-card-form]), .card-head a[href], .card-head button, .card-foot button, .cell-more, .cell-add";
  var activeKey = null; // "#card-id", or "cell-key:more|add|cell"
  var activePlace = null; // {cell, index}: the way back if that item goes

  function isItem(el) {
    if (!el || !el.matches || !el.closest("#board-grid")) return false;
    return el.matches("[data-card]:not([data-card-form]), [data-cell] > .card-list > [data-more], [data-cell] > .cell-add") ||
      (el.matches("[data-cell]") && itemsOf(el).length === 0);
  }
  function cardsOf(cell) {
    return Array.from(cell.querySelectorAll(":scope > .card-list > [data-card]:not([data-card-form])"));
  }
  function itemsOf(cell) {
    var items = cardsOf(cell);
    var more = cell.querySelector(":scope > .card-list > [data-more]");
    var add = cell.querySelector(":scope > .cell-add");
    if (more) items.push(more);
    if (add) items.push(add);
    return items;
  }
  function titleOf(card) {
    var title = card.querySelector(".card-title");
    return title ? title.textContent.trim() : "";
  }
  // The cells row by row: matrix[row][column].
  function matrix() {
    var g = grid();
    if (!g) return [];
    return Array.from(g.querySelectorAll("[role=row]")).map(function (row) {
      return Array.from(row.querySelectorAll(":scope > [data-cell]"));
    }).filter(function (cells) { return cells.length > 0; });
  }
  function cellAt(rows, r, c) { return rows[r] && rows[r][c] ? rows[r][c] : null; }
  function where(rows, cell) {
    for (var r = 0; r < rows.length; r++) {
      var c = rows[r].indexOf(cell);
      if (c !== -1) return { r: r, c: c };
    }
    return null;
  }
  function first(cell) { var cards = cardsOf(cell); return cards[0] || itemsOf(cell)[0] || cell; }
  function last(cell) { var cards = cardsOf(cell); return cards[cards.length - 1] || itemsOf(cell).slice(-1)[0] || cell; }
  // A card's place is its index among the cell's cards: if it goes, the
  // card that takes its place (or the one before it) takes the focus.
  function placeOf(el) {
    var cell = el.closest("[data-cell]");
    if (!cell) return null;
    var isCard = el.matches("[data-card]");
    var list = isCard ? cardsOf(cell) : itemsOf(cell);
    return { cell: cell.dataset.cell, index: Math.max(0, list.indexOf(el)), card: isCard };
  }
  function itemAtPlace(place) {
    var cell = place && document.getElementById("cell-" + place.cell);
    if (!cell) return null;
    var cards = cardsOf(cell);
    var list = place.card && cards.length ? cards : itemsOf(cell);
    return list[Math.min(place.index, list.length - 1)] || cell;
  }
  function keyOf(el) {
    if (el.matches("[data-card]")) return "#" + el.id;
    var cell = el.closest("[data-cell]");
    if (el.matches("[data-more]")) return cell.dataset.cell + ":more";
    if (el.matches(".cell-add")) return cell.dataset.cell + ":add";
    return cell.dataset.cell + ":cell";
  }
  function fromKey(key) {
    if (!key) return null;
    if (key.charAt(0) === "#") {
      var card = document.getElementById(key.slice(1));
      return isItem(card) ? card : null;
    }
    var parts = key.split(":");
    var cell = document.getElementById("cell-" + parts[0]);
    if (!cell) return null;
    if (parts[1] === "more") return cell.querySelector(":scope > .card-list > [data-more]");
    if (parts[1] === "add") return cell.querySelector(":scope > .cell-add");
    return isItem(cell) ? cell : null;
  }
  // The grid's one tab stop: the item last focused, else the one in its
  // place, else the first item of the board.
  function currentItem() {
    var item = fromKey(activeKey) || itemAtPlace(activePlace);
    if (item) return item;
    var rows = matrix();
    return rows.length ? first(rows[0][0]) : null;
  }
  function setActive(el) {
    var previous = fromKey(activeKey);
    if (previous && previous !== el) previous.setAttribute("tabindex", "-1");
    activeKey = keyOf(el);
    activePlace = placeOf(el);
    el.setAttribute("tabindex", "0");
  }
  function rove() {
    var g = grid();
    if (!g) return;
    var item = currentItem();
    g.querySelectorAll(ROVING).forEach(function (el) {
      if (el !== item && !el.closest("[data-card-form], .menu")) el.setAttribute("tabindex", "-1");
    });
    g.querySelectorAll("[data-cell][tabindex]").forEach(function (cell) {
      if (cell !== item) cell.removeAttribute("tabindex");
    });
    if (item) setActive(item);
  }
  function focusItem(el) {
    if (!el) return;
    setActive(el);
    el.focus();
  }

  // The item nearest to `from` in another cell, by its height in the cell
  // (the same on a phone, where horizons stack).
  function nearestIn(cell, from) {
    if (from.matches(".cell-add") && cell.querySelector(":scope > .cell-add")) return cell.querySelector(":scope > .cell-add");
    if (from.matches("[data-more]") && cell.querySelector(":scope > .card-list > [data-more]")) return cell.querySelector(":scope > .card-list > [data-more]");
    var cards = cardsOf(cell);
    if (!cards.length) return first(cell);
    var fromCell = from.closest("[data-cell]");
    var fromBox = from.getBoundingClientRect();
    var y = fromBox.top + fromBox.height / 2 - fromCell.getBoundingClientRect().top;
    var top = cell.getBoundingClientRect().top;
    var best = cards[0];
    var distance = Infinity;
    cards.forEach(function (card) {
      var box = card.getBoundingClientRect();
      var d = Math.abs(box.top + box.height / 2 - top - y);
      if (d < distance) { distance = d; best = card; }
    });
    return best;
  }

  function navigate(item, event) {
    var key = event.key;
    var cell = item.closest("[data-cell]");
    var rows = matrix();
    var at = where(rows, cell);
    if (!at) return null;
    var items = itemsOf(cell);
    var index = items.indexOf(item);
    var ctrl = event.ctrlKey || event.metaKey;
    if (key === "ArrowDown") {
      if (index !== -1 && index < items.length - 1) return items[index + 1];
      var below = cellAt(rows, at.r + 1, at.c);
      return below ? first(below) : null;
    }
    if (key === "ArrowUp") {
      if (index > 0) return items[index - 1];
      var above = cellAt(rows, at.r - 1, at.c);
      return above ? last(above) : null;
    }
    if (key === "ArrowRight" || key === "ArrowLeft") {
      var side = cellAt(rows, at.r, at.c + (key === "ArrowRight" ? 1 : -1));
      return side ? nearestIn(side, item) : null;
    }
    if (key === "PageDown" || key === "PageUp") {
      var next = cellAt(rows, at.r + (key === "PageDown" ? 1 : -1), at.c);
      return next ? first(next) : null;
    }
    if (key === "Home") return ctrl ? first(rows[0][0]) : first(cell);
    if (key === "End") {
      var lastRow = rows[rows.length - 1];
      return ctrl ? last(lastRow[lastRow.length - 1]) : last(cell);
    }
    return null;
  }

  function announce(text) {
    var region = document.getElementById("board-announcer");
    if (!region) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 60);
  }

  // Alt with an arrow key: the next or previous horizon, up or down a place.
  function moveByKey(card, key) {
    if (writes > 0) return;
    var cell = card.closest("[data-cell]");
    var values = { version: card.dataset.version };
    var title = titleOf(card);
    if (key === "ArrowRight" || key === "ArrowLeft") {
      var rows = matrix();
      var at = where(rows, cell);
      var side = at && cellAt(rows, at.r, at.c + (key === "ArrowRight" ? 1 : -1));
      if (!side) {
        announce("“" + title + "” is already in " + cell.dataset.label + ".");
        return;
      }
      values.horizon = side.dataset.horizon;
    } else {
      var cards = cardsOf(cell);
      var index = cards.indexOf(card);
      var up = key === "ArrowUp";
      if (up ? index === 0 : index === cards.length - 1) {
        var hidden = !up && cell.querySelector(":scope > .card-list > [data-more]");
        announce(hidden ? "Show more cards to move “" + title + "” further down."
          : "“" + title + "” is already " + (up ? "first" : "last") + " in " + cell.dataset.label + ".");
        return;
      }
      values.direction = up ? "up" : "down";
    }
    focusAfterSwap = { id: card.id, place: placeOf(card) };
    pendingMove = { id: card.id, title: title, horizon: card.dataset.horizon, version: card.dataset.version };
    htmx.ajax("POST", cardUrl(card, "move"), { source: card, swap: "none", values: values });
  }

  // Enter on a card does what a click on it does: an outcome shows its line
  // of sight, another card opens its edit form (for editors).
  function openCard(card) {
    if (card.matches(".card-outcome")) {
      if (selected === card.dataset.id) {
        closePanel();
      } else {
        selectOutcome(card.dataset.id);
        announce("Line of sight of “" + titleOf(card) + "” shown; its details follow the board.");
      }
      return;
    }
    var edit = card.querySelector("a.card-title[hx-get]");
    if (edit) edit.click();
  }

  function controlsOf(card) {
    return Array.from(card.querySelectorAll("a[href], button")).filter(function (el) {
      return !el.closest(".menu") && el.offsetParent !== null;
    });
  }

  function isTyping(target) {
    return !!(target.closest && target.closest("input, textarea, select, [contenteditable=true]"));
  }

  // The shortcuts dialog: a real <dialog>, focus back where it was.
  var keysDialog = document.getElementById("board-keys");
  var keysReturn = null;
  function openKeys() {
    if (!keysDialog || keysDialog.open) return;
    keysReturn = document.activeElement;
    keysDialog.showModal();
  }
  if (keysDialog) {
    keysDialog.addEventListener("close", function () {
      var back = keysReturn;
      keysReturn = null;
      if (back && back.isConnected && back !== document.body) back.focus();
    });
  }

  // A context-menu key also fires "contextmenu": the board's menu answers it.
  var menuByKey = false;
  document.addEventListener("contextmenu", function (event) {
    if (menuByKey) { event.preventDefault(); menuByKey = false; }
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var key = event.key;
    if (keysDialog && keysDialog.open) return; // the dialog handles its keys
    if (key === "?" && !event.ctrlKey && !event.metaKey && !event.altKey && !isTyping(target)) {
      event.preventDefault();
      openKeys();
      return;
    }
    if (!target.closest) return;

    // The open menu: arrows walk it, Escape and Tab close it.
    var menu = target.closest(".menu");
    if (menu) {
      var entries = Array.from(menu.querySelectorAll("[role=menuitem]"));
      var at = entries.indexOf(target);
      var to = null;
      if (key === "ArrowDown") to = entries[(at + 1) % entries.length];
      else if (key === "ArrowUp") to = entries[(at - 1 + entries.length) % entries.length];
      else if (key === "Home") to = entries[0];
      else if (key === "End") to = entries[entries.length - 1];
      if (to) { event.preventDefault(); to.focus(); return; }
      if (key === "Escape" || key === "Tab") { event.preventDefault(); closeMenu(true); return; }
      return;
    }

    if (key === "Escape") {
      var form = target.closest("[data-card-form]");
      if (form) {
        var cancel = form.querySelector("[data-cancel]");
        if (cancel) { event.preventDefault(); cancel.click(); }
        return;
      }
      if (openMenu) { closeMenu(true); return; }
      var owner = target.closest("#board-grid [data-card]");
      if (owner && owner !== target) { event.preventDefault(); focusItem(owner); return; }
      if (!panel().hidden) closePanel();
      return;
    }
    if (isTyping(target) || target.closest("[data-card-form]")) return;

    // Inside a card (after F2): Tab cycles through its own buttons.
    var card = target.closest("#board-grid [data-card]");
    if (card && card !== target) {
      if (key === "Tab") {
        var controls = controlsOf(card);
        var i = controls.indexOf(target);
        if (i !== -1 && controls.length) {
          event.preventDefault();
          controls[(i + (event.shiftKey ? -1 : 1) + controls.length) % controls.length].focus();
        }
      }
      return;
    }
    if (!isItem(target)) return;

    if (event.altKey && !event.ctrlKey && !event.metaKey) {
      if (/^Arrow/.test(key)) {
        event.preventDefault(); // Alt+Left is also the browser's Back
        if (card && card.draggable) moveByKey(card, key);
      }
      return;
    }
    var next = navigate(target, event);
    if (next) {
      event.preventDefault();
      focusItem(next);
      return;
    }
    if (/^(Arrow|Page|Home|End)/.test(key)) { event.preventDefault(); return; }
    var plain = !event.ctrlKey && !event.metaKey && !event.altKey;
    if (card && plain && (key === "Enter" || key === " ")) {
      event.preventDefault();
      openCard(card);
      return;
    }
    if (card && plain && key === "F2") {
      var own = controlsOf(card);
      if (own.length) { event.preventDefault(); own[0].focus(); }
      return;
    }
    var menuKey = (plain && (key === "m" || key === "M" || key === "ContextMenu")) ||
      (key === "F10" && event.shiftKey && !event.ctrlKey && !event.altKey);
    if (card && menuKey) {
      var button = card.querySelector("[data-action=menu]");
      if (button) {
        event.preventDefault();
        menuByKey = true;
        window.setTimeout(function () { menuByKey = false; }, 500);
        showMenu(button, card);
      }
      return;
    }
    if (plain && (key === "n" || key === "N")) {
      var add = target.closest("[data-cell]").querySelector(":scope > .cell-add");
      if (add) { event.preventDefault(); add.click(); }
    }
  });

  // Whatever in the grid gets focus (a click too) becomes its tab stop.
  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (isItem(target)) { setActive(target); return; }
    var card = target.closest && target.closest("#board-grid [data-card]:not([data-card-form])");
    if (card) setActive(card);
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
    focusAfterSwap = { id: card.id, place: null };
    pendingMove = { id: card.id, title: titleOf(card), horizon: card.dataset.horizon, version: card.dataset.version };
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
  function dropReasonToasts() {
    document.querySelectorAll(".toast[data-armed][data-reason-only]").forEach(function (el) {
      if (!el.contains(document.activeElement)) el.remove();
    });
  }
  function armToasts() {
    var fresh = document.querySelectorAll(".toast[data-timeout]:not([data-armed])");
    // A newer change replaces an older toast that only asked for a reason,
    // unless that one is being answered.
    if (fresh.length) dropReasonToasts();
    fresh.forEach(function (el) {
      el.dataset.armed = "1";
      var timer = setTimeout(function () { dismiss(el); }, Number(el.dataset.timeout));
      el.addEventListener("mouseenter", function () { clearTimeout(timer); });
      el.addEventListener("focusin", function () { clearTimeout(timer); });
      el.addEventListener("mouseleave", function () {
        timer = setTimeout(function () { dismiss(el); }, 4000);
      });
    });
  }
  // A toast's "Add a reason": R opens the newest one's form (it takes the
  // focus); saving it or Esc gives the focus back to the board.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var reason = target.closest && target.closest("[data-toast-reason]");
    if (reason && event.key === "Escape") {
      event.preventDefault();
      event.stopImmediatePropagation();
      reason.open = false;
      focusItem(currentItem());
      return;
    }
    if (event.key !== "r" && event.key !== "R") return;
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(target)) return;
    if (keysDialog && keysDialog.open) return;
    var all = document.querySelectorAll("#toasts [data-toast-reason]");
    if (!all.length) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    var details = all[all.length - 1];
    details.open = true;
    var input = details.querySelector("input[name=reason]");
    if (input) input.focus();
  }, true);
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!details.matches || !details.matches("[data-toast-reason]") || !details.open) return;
    var input = details.querySelector("input[name=reason]");
    if (input) input.focus();
  }, true);

  document.body.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt || !elt.hasAttribute) return;

    if (elt.closest && elt.closest("[data-toast-reason]")) focusItem(currentItem());
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
  rove();
  watchMoreButtons();
})();
