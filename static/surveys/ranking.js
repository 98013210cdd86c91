/*
 * The drag-to-rank question, enhanced.
 *
 * The server renders a fieldset of N labelled selects ("Place 1" … "Place N"),
 * which is the whole question without JavaScript. This script hides the
 * selects and shows the same question as two lists, "your ranking" and
 * "other areas", where every area has real buttons: add, move up, move down,
 * remove. Mouse and touch users can also drag an area by its handle; dragging
 * is an extra, never the only way. The selects stay in the form and are kept
 * in step, so the wire format is the same with and without this script.
 *
 * Keyboard: each list is one Tab stop (a roving tabindex), so the level
 * question is one Tab away from the areas. Up and down arrows go from area
 * to area, left and right from button to button; in the ranking, Alt with
 * an arrow moves the area and Delete removes it. The page says so.
 */
(function () {
  "use strict";

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : match;
    });
  }

  function element(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      if (name === "text") {
        node.textContent = attributes[name];
      } else {
        node.setAttribute(name, attributes[name]);
      }
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function RankingWidget(root) {
    this.root = root;
    this.places = parseInt(root.dataset.places, 10);
    this.selects = Array.prototype.slice.call(root.querySelectorAll("select[data-place]"));
    this.strings = JSON.parse(root.querySelector("script[type='application/json']").textContent);
    this.areas = [];
    this.titles = {};
    var self = this;
    Array.prototype.forEach.call(this.selects[0].options, function (option) {
      if (option.value) {
        self.areas.push(option.value);
        self.titles[option.value] = option.textContent;
      }
    });
    // Start from what the selects hold (empty on a new form, the earlier
    // choice after a server-side error): a default order is never an answer.
    this.chosen = [];
    this.selects.forEach(function (select) {
      var code = select.value;
      if (code && self.titles[code] && self.chosen.indexOf(code) === -1) {
        self.chosen.push(code);
      }
    });
    this.build();
    this.render();
  }

  RankingWidget.prototype.build = function () {
    var s = this.strings;
    var id = this.selects[0].id.replace(/_1$/, "");
    this.root.querySelector("[data-ranking-selects]").hidden = true;

    this.chosenHeading = element("h3", { id: id + "-chosen-heading", class: "h5 ranking-heading", tabindex: "-1" });
    this.chosenList = element("ol", { class: "ranking-list ranking-chosen", "aria-labelledby": id + "-chosen-heading", "data-drop": "chosen" });
    this.emptyNote = element("p", { class: "ranking-empty", text: s.empty });
    this.poolHeading = element("h3", { id: id + "-pool-heading", class: "h5 ranking-heading", text: s.poolHeading });
    this.poolList = element("ul", { class: "ranking-list ranking-pool", "aria-labelledby": id + "-pool-heading", "data-drop": "pool" });
    this.status = element("div", { role: "status", class: "ranking-status visually-hidden", "aria-live": "polite" });
    // Seen as well as heard: why an area was not added to a full list, and how to swap one.
    this.notice = element("p", { class: "ranking-notice", hidden: "" });

    this.current = { chosen: null, pool: null };
    this.chosenList.setAttribute("aria-describedby", id + "-keys");
    this.poolList.setAttribute("aria-describedby", id + "-keys");

    this.enhanced = element("div", { class: "ranking-enhanced" }, [
      element("div", { class: "ranking-help" }, [
        element("p", { class: "form-text", text: s.instructions }),
        element("p", { class: "form-text ranking-keys", id: id + "-keys", text: s.keyboard }),
      ]),
      element("div", { class: "ranking-column" }, [this.chosenHeading, this.notice, this.emptyNote, this.chosenList]),
      element("div", { class: "ranking-column" }, [this.poolHeading, this.poolList]),
      this.status,
    ]);
    this.root.appendChild(this.enhanced);
    this.root.classList.add("is-enhanced");

    this.root.addEventListener("click", this.onClick.bind(this));
    this.root.addEventListener("keydown", this.onKeyDown.bind(this));
    this.root.addEventListener("focusin", this.onFocusIn.bind(this));
    this.root.addEventListener("pointerdown", this.onPointerDown.bind(this));
  };

  RankingWidget.prototype.button = function (action, label, code, disabled) {
    var button = element("button", { type: "button", class: "btn btn-sm ranking-" + action, "data-action": action, "data-code": code }, [
      label,
      element("span", { class: "visually-hidden", text: " " + this.titles[code] }),
    ]);
    if (disabled) {
      // aria-disabled keeps the button focusable, so focus is never lost
      // and a press can explain why nothing happened.
      button.setAttribute("aria-disabled", "true");
    }
    return button;
  };

  RankingWidget.prototype.render = function () {
    var s = this.strings;
    var self = this;
    var count = this.chosen.length;
    this.chosenHeading.textContent = format(s.chosenHeading, { n: count, count: this.places });
    this.emptyNote.hidden = count > 0;
    this.chosenList.replaceChildren();
    this.poolList.replaceChildren();

    this.chosen.forEach(function (code, index) {
      var item = element("li", { class: "ranking-item", "data-code": code }, [
        element("span", { class: "drag-handle", "aria-hidden": "true", "data-drag": code }),
        element("span", { class: "ranking-place-number", "aria-hidden": "true", text: String(index + 1) }),
        element("span", { class: "ranking-title", text: self.titles[code] }),
        element("span", { class: "ranking-actions" }, [
          self.button("up", s.moveUp, code, index === 0),
          self.button("down", s.moveDown, code, index === count - 1),
          self.button("remove", s.remove, code, false),
        ]),
      ]);
      self.chosenList.appendChild(item);
    });

    this.areas.forEach(function (code) {
      if (self.chosen.indexOf(code) !== -1) {
        return;
      }
      var item = element("li", { class: "ranking-item", "data-code": code }, [
        element("span", { class: "drag-handle", "aria-hidden": "true", "data-drag": code }),
        element("span", { class: "ranking-title", text: self.titles[code] }),
        element("span", { class: "ranking-actions" }, [self.button("add", s.add, code, count >= self.places)]),
      ]);
      self.poolList.appendChild(item);
    });

    this.selects.forEach(function (select, index) {
      select.value = self.chosen[index] || "";
    });
    this.rove();
  };

  /* The roving tabindex: one button per list takes part in Tab, the one last used there. */

  RankingWidget.prototype.listOf = function (node) {
    return this.chosenList.contains(node) ? "chosen" : this.poolList.contains(node) ? "pool" : null;
  };

  RankingWidget.prototype.rove = function () {
    var current = this.current;
    [
      ["chosen", this.chosenList],
      ["pool", this.poolList],
    ].forEach(function (pair) {
      var buttons = Array.prototype.slice.call(pair[1].querySelectorAll("button[data-action]"));
      var stop = buttons.filter(function (button) {
        return button.dataset.action + ":" + button.dataset.code === current[pair[0]];
      })[0];
      stop = stop || buttons[0];
      buttons.forEach(function (button) {
        button.tabIndex = button === stop ? 0 : -1;
      });
    });
  };

  RankingWidget.prototype.onFocusIn = function (event) {
    var button = event.target.closest("button[data-action]");
    var list = button && this.listOf(button);
    if (list) {
      this.current[list] = button.dataset.action + ":" + button.dataset.code;
      this.rove();
    }
  };

  RankingWidget.prototype.onKeyDown = function (event) {
    var button = event.target.closest("button[data-action]");
    var list = button && this.listOf(button);
    if (!list || event.ctrlKey || event.metaKey) {
      return;
    }
    var code = button.dataset.code;
    var item = button.closest(".ranking-item");
    var items = Array.prototype.slice.call(item.parentNode.children);
    var buttons = Array.prototype.slice.call(item.querySelectorAll("button[data-action]"));
    var index = items.indexOf(item);
    var target = null;

    if (list === "chosen" && event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      // Alt with an arrow moves the area itself, as the buttons do.
      this.press(event.key === "ArrowUp" ? "up" : "down", code);
      event.preventDefault();
      return;
    }
    if (event.altKey) {
      return;
    }
    if (list === "chosen" && (event.key === "Delete" || event.key === "Backspace")) {
      this.press("remove", code);
      event.preventDefault();
      return;
    }
    if (event.key === "ArrowDown" || event.key === "ArrowUp" || event.key === "Home" || event.key === "End") {
      var next = {
        ArrowDown: Math.min(index + 1, items.length - 1),
        ArrowUp: Math.max(index - 1, 0),
        Home: 0,
        End: items.length - 1,
      }[event.key];
      target =
        items[next].querySelector("button[data-action='" + button.dataset.action + "']") ||
        items[next].querySelector("button[data-action]");
    } else if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      var at = buttons.indexOf(button) + (event.key === "ArrowRight" ? 1 : -1);
      target = buttons[Math.max(0, Math.min(at, buttons.length - 1))];
    } else {
      return;
    }
    event.preventDefault();
    if (target) {
      target.focus();
    }
  };

  RankingWidget.prototype.press = function (action, code) {
    var button = this.root.querySelector("button[data-action='" + action + "'][data-code='" + code + "']");
    if (button) {
      button.click();
    }
  };

  RankingWidget.prototype.announce = function (template, code, extra) {
    var values = { area: code ? this.titles[code] : "", count: this.places, n: this.chosen.length };
    Object.keys(extra || {}).forEach(function (key) {
      values[key] = extra[key];
    });
    // Clear first so that the same message twice is still announced.
    var status = this.status;
    status.textContent = "";
    window.setTimeout(function () {
      status.textContent = format(template, values);
    }, 50);
  };

  RankingWidget.prototype.focus = function (action, code) {
    var target = this.root.querySelector("button[data-action='" + action + "'][data-code='" + code + "']");
    if (target) {
      target.focus();
    }
  };

  RankingWidget.prototype.add = function (code, index) {
    if (this.chosen.indexOf(code) !== -1) {
      return this.move(code, index);
    }
    if (this.chosen.length >= this.places) {
      this.announce(this.strings.full, code);
      this.notice.textContent = format(this.strings.full, { area: this.titles[code], count: this.places });
      this.notice.hidden = false;
      return false;
    }
    index = index === undefined ? this.chosen.length : Math.min(index, this.chosen.length);
    this.chosen.splice(index, 0, code);
    this.render();
    this.announce(this.strings.added, code, { n: index + 1 });
    return true;
  };

  RankingWidget.prototype.remove = function (code) {
    var index = this.chosen.indexOf(code);
    if (index === -1) {
      return false;
    }
    this.notice.hidden = true;
    this.chosen.splice(index, 1);
    this.render();
    this.announce(this.strings.removed, code);
    return true;
  };

  RankingWidget.prototype.move = function (code, index) {
    var from = this.chosen.indexOf(code);
    index = Math.max(0, Math.min(index, this.chosen.length - 1));
    if (from === -1 || from === index) {
      return false;
    }
    this.chosen.splice(from, 1);
    this.chosen.splice(index, 0, code);
    this.render();
    this.announce(this.strings.moved, code, { n: index + 1 });
    return true;
  };

  RankingWidget.prototype.onClick = function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button || !this.root.contains(button)) {
      return;
    }
    var code = button.dataset.code;
    var action = button.dataset.action;
    var index = this.chosen.indexOf(code);

    if (action === "add") {
      var poolIndex = this.poolCodes().indexOf(code);
      if (this.add(code)) {
        // The pressed button has moved away with its area: stay where the
        // user was in the list of other areas, on the next area's button.
        var pool = this.poolCodes();
        var next = pool[Math.min(poolIndex, pool.length - 1)];
        if (next) {
          this.focus("add", next);
        }
      }
    } else if (action === "remove") {
      this.remove(code);
      if (this.chosen.length) {
        this.focus("remove", this.chosen[Math.min(index, this.chosen.length - 1)]);
      } else {
        this.focus("add", code);
      }
    } else if (action === "up") {
      if (index === 0) {
        this.announce(this.strings.alreadyFirst, code);
      } else {
        this.move(code, index - 1);
      }
      this.focus("up", code);
    } else if (action === "down") {
      if (index === this.chosen.length - 1) {
        this.announce(this.strings.alreadyLast, code);
      } else {
        this.move(code, index + 1);
      }
      this.focus("down", code);
    }
  };

  RankingWidget.prototype.poolCodes = function () {
    var chosen = this.chosen;
    return this.areas.filter(function (code) {
      return chosen.indexOf(code) === -1;
    });
  };

  /* Dragging, with pointer events: mouse, pen and touch alike. */

  RankingWidget.prototype.onPointerDown = function (event) {
    var handle = event.target.closest("[data-drag]");
    if (!handle || event.button !== 0) {
      return;
    }
    event.preventDefault();
    var item = handle.closest(".ranking-item");
    this.drag = {
      code: handle.dataset.drag,
      item: item,
      startX: event.clientX,
      startY: event.clientY,
      moved: false,
      target: null,
    };
    handle.setPointerCapture(event.pointerId);
    this.onDragMove = this.dragMove.bind(this);
    this.onDragEnd = this.dragEnd.bind(this);
    handle.addEventListener("pointermove", this.onDragMove);
    handle.addEventListener("pointerup", this.onDragEnd);
    handle.addEventListener("pointercancel", this.onDragEnd);
    this.drag.handle = handle;
  };

  RankingWidget.prototype.dragMove = function (event) {
    var drag = this.drag;
    var dx = event.clientX - drag.startX;
    var dy = event.clientY - drag.startY;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 5) {
      return;
    }
    drag.moved = true;
    drag.item.classList.add("is-dragging");
    drag.item.style.transform = "translate(" + dx + "px, " + dy + "px)";
    this.clearDropMarks();
    drag.target = this.dropTarget(event.clientX, event.clientY);
    var refused = this.chosen.length >= this.places && this.chosen.indexOf(drag.code) === -1;
    if (drag.target && drag.target.list === "chosen" && refused) {
      // A full list takes no sixth area: marked as refusing, and the drop says why.
      this.chosenList.classList.add("drop-refused");
    } else if (drag.target && drag.target.list === "chosen") {
      var items = this.chosenItems();
      if (drag.target.index < items.length) {
        items[drag.target.index].classList.add("drop-before");
      } else {
        this.chosenList.classList.add("drop-at-end");
      }
    } else if (drag.target && drag.target.list === "pool") {
      this.poolList.classList.add("drop-here");
    }
  };

  RankingWidget.prototype.chosenItems = function () {
    var code = this.drag && this.drag.code;
    return Array.prototype.filter.call(this.chosenList.children, function (item) {
      return item.dataset.code !== code;
    });
  };

  RankingWidget.prototype.dropTarget = function (x, y) {
    var chosenBox = this.chosenList.parentNode.getBoundingClientRect();
    var poolBox = this.poolList.parentNode.getBoundingClientRect();
    var inside = function (box) {
      return x >= box.left && x <= box.right && y >= box.top && y <= box.bottom;
    };
    if (inside(chosenBox)) {
      var items = this.chosenItems();
      var index = items.length;
      for (var i = 0; i < items.length; i += 1) {
        var box = items[i].getBoundingClientRect();
        if (y < box.top + box.height / 2) {
          index = i;
          break;
        }
      }
      return { list: "chosen", index: index };
    }
    if (inside(poolBox)) {
      return { list: "pool" };
    }
    return null;
  };

  RankingWidget.prototype.clearDropMarks = function () {
    Array.prototype.forEach.call(this.root.querySelectorAll(".drop-before"), function (item) {
      item.classList.remove("drop-before");
    });
    this.chosenList.classList.remove("drop-at-end", "drop-refused");
    this.poolList.classList.remove("drop-here");
  };

  RankingWidget.prototype.dragEnd = function (event) {
    var drag = this.drag;
    this.drag = null;
    drag.handle.removeEventListener("pointermove", this.onDragMove);
    drag.handle.removeEventListener("pointerup", this.onDragEnd);
    drag.handle.removeEventListener("pointercancel", this.onDragEnd);
    drag.item.classList.remove("is-dragging");
    drag.item.style.transform = "";
    this.clearDropMarks();
    if (!drag.moved || event.type === "pointercancel" || !drag.target) {
      return;
    }
    var isChosen = this.chosen.indexOf(drag.code) !== -1;
    if (drag.target.list === "chosen") {
      if (isChosen) {
        this.move(drag.code, drag.target.index);
      } else {
        this.add(drag.code, drag.target.index);
      }
    } else if (drag.target.list === "pool" && isChosen) {
      this.remove(drag.code);
    }
  };

  function enhance() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-ranking]"), function (root) {
      if (!root.classList.contains("is-enhanced")) {
        root.rankingWidget = new RankingWidget(root);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhance);
  } else {
    enhance();
  }
})();
