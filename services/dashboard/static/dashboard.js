// Keyboard shortcuts, live client search, copy buttons and confirmations. The pages work
// without this file; it only makes them quicker.
(function () {
  "use strict";

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  // Shortcuts: elements declare theirs with data-shortcut (click) or data-shortcut-focus.
  var help = document.getElementById("shortcuts");
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "Escape" && help && !help.hidden) { help.hidden = true; return; }
    if (typing(document.activeElement)) return;
    if (ev.key === "?") { if (help) help.hidden = !help.hidden; ev.preventDefault(); return; }
    var target = document.querySelector('[data-shortcut="' + CSS.escape(ev.key) + '"]');
    if (target) { ev.preventDefault(); target.click(); return; }
    var focus = document.querySelector('[data-shortcut-focus="' + CSS.escape(ev.key) + '"]');
    if (focus) {
      ev.preventDefault(); focus.focus();
      if (focus.type === "text") focus.select();  // type the date over it, then Enter
      else if (focus.showPicker) { try { focus.showPicker(); } catch (e) {} }
      return;
    }
    if (ev.key === "/") {
      var search = document.querySelector('input[type=search], input[name=search], #q');
      if (search) { ev.preventDefault(); search.focus(); search.select(); }
      return;
    }
    if (ev.key === "d") { window.location.href = "/"; }
    else if (ev.key === "n" && !document.querySelector('[data-shortcut="n"]')) { window.location.href = "/book/"; }
  });
  document.querySelectorAll("[data-close-shortcuts]").forEach(function (b) {
    b.addEventListener("click", function () { help.hidden = true; });
  });

  // What the server sent for each live part of the day or week view, before this script
  // touched it (fitting, classes): a redraw replaces only the parts whose HTML changed.
  var served = {};
  var liveLeaves = function (root) {
    return Array.prototype.filter.call(root.querySelectorAll("[data-live-key]"), function (el) {
      return !el.querySelector("[data-live-key]");
    });
  };
  var liveContainers = function (root) {
    return Array.prototype.filter.call(root.querySelectorAll("[data-live-key]"), function (el) {
      return !!el.querySelector("[data-live-key]");
    }).map(function (el) { return el.dataset.liveKey; }).join(" ");
  };
  liveLeaves(document).forEach(function (el) { served[el.dataset.liveKey] = el.outerHTML; });

  // The day view fits the working day to the window (within readable limits); when it cannot,
  // the page scrolls, so the last session is always in reach (and on paper).
  var cal = document.querySelector("[data-fit-day]");
  var fitCards = function (root) {
    root.querySelectorAll(".block").forEach(function (b) {
      var h = b.getBoundingClientRect().height;
      b.classList.toggle("short", h < 36);
      b.classList.toggle("compact", h >= 36 && h < 62);
    });
  };
  if (cal) {
    var fit = function () {
      var span = parseFloat(getComputedStyle(cal).getPropertyValue("--span"));
      var head = cal.querySelector(".cal-head").offsetHeight;
      var height = Math.max(320, window.innerHeight - cal.getBoundingClientRect().top - window.scrollY - 44);
      var px = Math.max(1.1, Math.min(2.2, (height - head - 4) / span));
      cal.style.setProperty("--px", px.toFixed(3) + "px");
      fitCards(cal);
    };
    fit();
    window.addEventListener("resize", fit);
    window.addEventListener("beforeprint", function () { fitCards(cal); });
    var now = cal.querySelector(".now-line");
    if (now) {
      var nowTop = now.getBoundingClientRect().top + window.scrollY;
      if (nowTop > window.innerHeight) { window.scrollTo(0, nowTop - window.innerHeight / 3); }
    }
  }

  // A toast for what a drag did or why it was refused.
  var toast = document.querySelector("[data-toast]");
  var toastTimer = null;
  var say = function (message, refused) {
    if (!toast) return;
    toast.textContent = message;
    toast.classList.toggle("refused", !!refused);
    toast.setAttribute("role", refused ? "alert" : "status");
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { toast.hidden = true; }, refused ? 10000 : 6000);
  };

  // Live refresh: poll the cheap change marker; when it moved, fetch the page and replace
  // only the columns, cells and counts whose HTML changed (scroll and focus stay).
  var liveRoot = document.querySelector("[data-live-root]");
  var dragging = null;
  var redraw = function () {
    return fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("[data-live-root]");
        var current = document.querySelector("[data-live-root]");
        if (!fresh || !current) return;
        current.dataset.liveMarker = fresh.dataset.liveMarker;
        current.dataset.csrf = fresh.dataset.csrf;
        if (liveContainers(fresh) !== liveContainers(current)) {
          current.innerHTML = fresh.innerHTML;  // the grid itself changed shape
          liveLeaves(document).forEach(function (el) { served[el.dataset.liveKey] = el.outerHTML; });
          if (cal) { cal = current.querySelector("[data-fit-day]"); }
          if (cal && typeof fit === "function") fit();
        }
        liveLeaves(doc).forEach(function (el) {
          var key = el.dataset.liveKey;
          if (served[key] === el.outerHTML) return;
          var old = document.querySelector('[data-live-key="' + CSS.escape(key) + '"]');
          if (!old) return;
          var copy = document.importNode(el, true);
          old.replaceWith(copy);
          served[key] = el.outerHTML;
          fitCards(copy);
        });
      });
  };
  if (liveRoot) {
    var pollMs = parseInt(liveRoot.dataset.pollMs, 10) || 2000;
    var poll = function () {
      if (dragging || document.hidden) { setTimeout(poll, pollMs); return; }
      fetch(liveRoot.dataset.liveUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          var now = document.querySelector("[data-live-root]");
          if (body && now && body.marker !== now.dataset.liveMarker) return redraw();
        })
        .catch(function () {})
        .then(function () { setTimeout(poll, pollMs); });
    };
    setTimeout(poll, pollMs);
    if (/[?&]print=1(&|$)/.test(window.location.search)) { window.print(); }
  }

  // Move by drag: a session follows the pointer; the times the rules allow are marked; the
  // drop asks the server, which moves it through the booking rules or says why not.
  var pad = function (n) { return (n < 10 ? "0" : "") + n; };
  var hhmm = function (minute) {
    minute = Math.max(0, Math.min(24 * 60 - 1, minute));
    return pad(Math.floor(minute / 60)) + ":" + pad(minute % 60);
  };
  var dayGrid = function () { return document.querySelector("[data-fit-day]"); };
  var pxOf = function (grid) { return parseFloat(getComputedStyle(grid).getPropertyValue("--px")) || 1.5; };
  var clearHints = function () {
    document.querySelectorAll(".drop-hint").forEach(function (h) { h.remove(); });
    document.querySelectorAll(".drop-ok").forEach(function (c) { c.classList.remove("drop-ok"); });
  };
  var showHints = function (el) {
    var grid = dayGrid();
    var week = document.querySelector("[data-week]");
    var first, last;
    if (grid) { first = last = grid.dataset.day; }
    else if (week) {
      var days = week.querySelectorAll("td[data-day]");
      first = days[0].dataset.day; last = days[days.length - 1].dataset.day;
    } else { return; }
    fetch(el.dataset.free + "?start=" + first + "&end=" + last, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        if (!dragging || dragging.el !== el) return;
        (body.times || []).forEach(function (t) {
          if (grid) {
            var col = grid.querySelector('.cal-col[data-col-kind="therapist"][data-col-key="' + t.therapist_id + '"]');
            if (!col) return;
            var parts = t.time.split(":");
            var minute = parseInt(parts[0], 10) * 60 + parseInt(parts[1], 10) - parseInt(grid.dataset.firstMinute, 10);
            var hint = document.createElement("div");
            hint.className = "drop-hint";
            hint.style.top = (minute * pxOf(grid)) + "px";
            hint.title = t.time;
            col.appendChild(hint);
          } else if (t.time === el.dataset.time) {
            var cell = week.querySelector('td[data-col-kind="therapist"][data-col-key="' + t.therapist_id + '"][data-day="' + t.day + '"]');
            if (cell) cell.classList.add("drop-ok");
          }
        });
      }).catch(function () {});
  };
  var target = function (x, y) {
    var under = document.elementFromPoint(x, y);
    return under ? under.closest("[data-col-key]") : null;
  };
  var drop = function (d, x, y) {
    var place = target(x, y);
    if (!place) { say("Drop the session on a column of the view.", true); return; }
    var body = new FormData();
    var root = document.querySelector("[data-live-root]");
    body.append("csrf_token", root.dataset.csrf);
    body.append("version", d.el.dataset.version);
    if (place.tagName === "TD") {
      body.append("date", place.dataset.day);
      body.append("time", d.el.dataset.time);
    } else {
      var grid = dayGrid();
      var step = parseInt(grid.dataset.step, 10) || 15;
      var top = y - d.grabY - place.getBoundingClientRect().top;
      var minute = parseInt(grid.dataset.firstMinute, 10) + top / pxOf(grid);
      body.append("date", grid.dataset.day);
      body.append("time", hhmm(Math.round(minute / step) * step));
    }
    body.append(place.dataset.colKind === "room" ? "room_id" : "therapist_id", place.dataset.colKey);
    fetch(d.el.dataset.move, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { return r.json().catch(function () { return { ok: false, message: "The move failed (" + r.status + "): reload the page." }; }); })
      .then(function (res) { say(res.message, !res.ok); return redraw(); })
      .catch(function () { say("The server did not answer: nothing was moved.", true); });
  };
  var justDragged = false;
  document.addEventListener("click", function (ev) {
    if (justDragged) { ev.preventDefault(); ev.stopPropagation(); justDragged = false; }
  }, true);
  document.addEventListener("pointerdown", function (ev) {
    var el = ev.target.closest && ev.target.closest("[data-move]");
    if (!el || ev.button !== 0) return;
    ev.preventDefault();  // no native link drag, no text selection
    var rect = el.getBoundingClientRect();
    dragging = { el: el, x: ev.clientX, y: ev.clientY, grabY: ev.clientY - rect.top, moved: false };
  });
  document.addEventListener("pointermove", function (ev) {
    if (!dragging) return;
    var dx = ev.clientX - dragging.x, dy = ev.clientY - dragging.y;
    if (!dragging.moved) {
      if (Math.abs(dx) + Math.abs(dy) < 6) return;
      dragging.moved = true;
      dragging.el.classList.add("dragging");
      showHints(dragging.el);
    }
    dragging.el.style.transform = "translate(" + dx + "px, " + dy + "px)";
  });
  document.addEventListener("pointerup", function (ev) {
    if (!dragging) return;
    var d = dragging;
    dragging = null;
    if (!d.moved) return;  // a click: the link opens the session
    justDragged = true;  // the click that ends a drag opens nothing
    setTimeout(function () { justDragged = false; }, 0);
    d.el.classList.remove("dragging");
    d.el.style.transform = "";
    clearHints();
    drop(d, ev.clientX, ev.clientY);
  });

  document.addEventListener("pointercancel", function () {
    if (!dragging) return;
    dragging.el.classList.remove("dragging");
    dragging.el.style.transform = "";
    dragging = null;
    clearHints();
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape" || !dragging) return;
    dragging.el.classList.remove("dragging");
    dragging.el.style.transform = "";
    dragging = null;  // let go anywhere: nothing moves, nothing opens
    justDragged = true;
    clearHints();
  });

  // A click on an empty time of a column (or an empty part of a week's day) opens the
  // booking form with that day, therapist and time filled in.
  document.addEventListener("click", function (ev) {
    if (ev.defaultPrevented || ev.button !== 0) return;
    var place = ev.target.closest && ev.target.closest("[data-book-url]");
    if (!place || ev.target.closest("a, button, .block, .week-card")) return;
    var url = place.dataset.bookUrl;
    if (place.tagName !== "TD") {
      var grid = dayGrid();
      var step = parseInt(grid.dataset.step, 10) || 15;
      var minute = parseInt(grid.dataset.firstMinute, 10) + (ev.clientY - place.getBoundingClientRect().top) / pxOf(grid);
      url += (url.indexOf("?") < 0 ? "?" : "&") + "at=" + hhmm(Math.floor(minute / step) * step);
    }
    window.location.href = url;
  });

  // The booking form's filters redraw the free times in place (no page load): what was typed
  // for a new client, the notes and the scroll position stay.
  var filterSeq = 0;
  var liveFilter = function (form) {
    var seq = ++filterSeq;  // only the answer to the latest change is shown
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) { if (value !== "") params.append(key, value); });
    var url = form.action.split("?")[0] + "?" + params.toString();
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        if (seq !== filterSeq) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        doc.querySelectorAll("[data-part]").forEach(function (fresh) {
          var key = fresh.dataset.part;
          var old = document.querySelector('[data-part="' + key + '"]');
          var typing = document.querySelector("[data-client-search]");
          if (!old || (key === "picker" && typing && typing.value.trim())) return;
          old.replaceWith(document.importNode(fresh, true));
        });
        var search = document.querySelector("[data-client-search]");
        var freshSearch = doc.querySelector("[data-client-search]");
        if (search && freshSearch) search.dataset.clientLink = freshSearch.dataset.clientLink;
        var button = document.querySelector(".book-submit button[type=submit]");
        var freshButton = doc.querySelector(".book-submit button[type=submit]");
        if (button && freshButton) button.disabled = freshButton.disabled;
        history.replaceState(null, "", url);
        document.dispatchEvent(new CustomEvent("free-times-shown"));
      });
  };

  // Forms that refresh on change (the day picker, the booking form's filters).
  var WHOLE_DAY = /^(\d{4}[-.]\d{2}[-.]\d{2}|\d{2}[./-]\d{2}[./-]\d{4})$/;
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    var fields = Array.prototype.slice.call(form.elements);
    if (form.id) {
      fields = fields.concat(Array.prototype.slice.call(document.querySelectorAll('[form="' + form.id + '"]')));
    }
    var refresh = function () {
      if (form.hasAttribute("data-live-filters") && window.fetch) { liveFilter(form); return; }
      form.requestSubmit ? form.requestSubmit() : form.submit();
    };
    fields.forEach(function (el) {
      if (el.tagName === "SELECT" || el.type === "date" || el.type === "checkbox") {
        el.addEventListener("change", refresh);
      } else if (el.hasAttribute("data-clinic-day")) {
        // A date typed in full (04.12.2026, 12/04/2026 or 2026-12-04) refreshes at once, as
        // picking a day did; Enter or Go sends anything else, for the server to judge.
        el.addEventListener("input", function () {
          if (WHOLE_DAY.test(el.value.trim())) refresh();
        });
      }
    });
    if (form.hasAttribute("data-live-filters")) {
      form.addEventListener("submit", function (ev) { ev.preventDefault(); liveFilter(form); });
    }
  });

  // Live client search: results as links; arrow keys move through them.
  var box = document.querySelector("[data-client-search]");
  if (box) {
    var list = document.querySelector("[data-results]");
    var timer = null;
    var render = function (rows) {
      list.innerHTML = "";
      rows.forEach(function (c) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = box.dataset.clientLink.replace("__ID__", c.id);
        var b = document.createElement("b"); b.textContent = c.name;
        var s = document.createElement("span"); s.textContent = " " + [c.email, c.phone].filter(Boolean).join(" · ");
        a.appendChild(b); a.appendChild(s); li.appendChild(a); list.appendChild(li);
      });
      list.hidden = rows.length === 0;
    };
    box.addEventListener("input", function () {
      clearTimeout(timer);
      var q = box.value.trim();
      if (q.length < 2) { render([]); return; }
      timer = setTimeout(function () {
        fetch(box.dataset.clientSearch + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; }).then(render).catch(function () {});
      }, 180);
    });
    box.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowDown") { var first = list.querySelector("a"); if (first) { ev.preventDefault(); first.focus(); } }
      if (ev.key === "Enter") {
        var only = list.querySelectorAll("a");
        if (only.length >= 1 && !list.hidden) { ev.preventDefault(); only[0].click(); }
      }
    });
    list.addEventListener("keydown", function (ev) {
      var links = Array.prototype.slice.call(list.querySelectorAll("a"));
      var i = links.indexOf(document.activeElement);
      if (ev.key === "ArrowDown" && i < links.length - 1) { ev.preventDefault(); links[i + 1].focus(); }
      if (ev.key === "ArrowUp") { ev.preventDefault(); (i > 0 ? links[i - 1] : box).focus(); }
    });
  }

  // Free times on a booking's page fill the move form instead of reloading.
  document.querySelectorAll("[data-fill-move]").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      var parts = a.dataset.fillMove.split("|");
      var form = a.closest("section").querySelector("form");
      if (!form) return;
      ev.preventDefault();
      form.elements.date.value = parts[0];
      form.elements.time.value = parts[1];
      if (form.elements.therapist_id) form.elements.therapist_id.value = parts[2];
      form.querySelector("button[type=submit]").focus();
    });
  });

  // Copy buttons beside feed links.
  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var input = btn.parentElement.querySelector("[data-copy-source]");
      input.select();
      var done = function () { btn.textContent = "Copied"; setTimeout(function () { btn.textContent = "Copy"; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); }); }
      else { document.execCommand("copy"); done(); }
    });
  });

  // Tag fields (Flask-Admin's select2 tags, e.g. a treatment's room features): Enter adds what
  // was typed as a tag and never submits the form (bug 5); Save submits. Caught on the way
  // down, before select2 and Flask-Admin's "submit on Enter" see the key.
  var tagField = function (el) {
    var box = el && el.closest && el.closest(".select2-container-multi");
    var field = box && document.getElementById(box.id.replace(/^s2id_/, ""));
    return field && field.dataset.role === "select2-tags" && window.jQuery ? field : null;
  };
  document.addEventListener("keydown", function (ev) {
    var field = ev.key === "Enter" && tagField(ev.target);
    if (!field) return;
    ev.preventDefault();
    ev.stopPropagation();
    var $field = window.jQuery(field), tags = $field.select2("data") || [];
    var have = tags.map(function (t) { return t.text; });
    ev.target.value.split(",").forEach(function (typed) {
      var tag = typed.trim();
      if (tag && have.indexOf(tag) < 0) { tags.push({ id: tag, text: tag }); have.push(tag); }
    });
    ev.target.value = "";
    $field.select2("data", tags, true);
    $field.select2("close");
  }, true);
  document.addEventListener("keyup", function (ev) {
    if (ev.key === "Enter" && tagField(ev.target)) ev.stopPropagation();
  }, true);

  // Confirm before irreversible actions.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.confirm(form.dataset.confirm)) ev.preventDefault();
    });
  });

  // A list's date filters are plain text boxes (views/filters.py), like every date field:
  // each shows the clinic's pattern. Flask-Admin's script adds the boxes after this one runs.
  document.addEventListener("DOMContentLoaded", function () {
    var table = document.querySelector("table.filters[data-clinic-day-hint]");
    var groups = document.getElementById("filter-groups-data");
    if (!table || !groups) return;
    var hint = table.dataset.clinicDayHint, kinds = {};
    Object.values(JSON.parse(groups.textContent)).forEach(function (group) {
      group.forEach(function (filter) { kinds[filter.arg] = filter.type; });
    });
    var label = function () {
      table.querySelectorAll("input.filter-val").forEach(function (box) {
        var kind = kinds[box.name.replace(/^flt\d+_/, "")];
        if (kind === "clinic-day") box.placeholder = hint;
        else if (kind === "clinic-day-range") box.placeholder = hint + " to " + hint;
        else return;
        box.inputMode = "numeric";
        box.autocomplete = "off";
      });
    };
    label();
    new MutationObserver(label).observe(table, { childList: true, subtree: true });
  });

  // Flask-Admin's filter menu entries are links to nowhere: its own script acts on them.
  document.querySelectorAll("a.dropdown-item.filter").forEach(function (link) {
    link.addEventListener("click", function (ev) { ev.preventDefault(); });
  });

  // A list's "With selected" actions (Flask-Admin's, without its inline handlers).
  document.querySelectorAll("[data-model-action]").forEach(function (link) {
    link.addEventListener("click", function (ev) {
      ev.preventDefault();
      if (window.modelActions) window.modelActions.execute(link.dataset.modelAction);
    });
  });
})();
