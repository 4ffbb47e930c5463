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
    if (focus) { ev.preventDefault(); focus.focus(); if (focus.showPicker) { try { focus.showPicker(); } catch (e) {} } return; }
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

  // The day view fits the working day to the window (within readable limits).
  var cal = document.querySelector("[data-fit-day]");
  if (cal) {
    var fit = function () {
      var span = parseFloat(getComputedStyle(cal).getPropertyValue("--span"));
      var head = cal.querySelector(".cal-head").offsetHeight;
      var height = Math.max(320, window.innerHeight - cal.getBoundingClientRect().top - window.scrollY - 44);
      cal.style.maxHeight = height + "px";
      var px = Math.max(1.1, Math.min(2.2, (height - head - 4) / span));
      cal.style.setProperty("--px", px.toFixed(3) + "px");
      cal.querySelectorAll(".block").forEach(function (b) {
        var h = b.getBoundingClientRect().height;
        b.classList.toggle("short", h < 36);
        b.classList.toggle("compact", h >= 36 && h < 62);
      });
    };
    fit();
    window.addEventListener("resize", fit);
    var now = cal.querySelector(".now-line");
    if (now && now.offsetTop > cal.clientHeight) { cal.scrollTop = now.offsetTop - cal.clientHeight / 3; }
  }

  // Forms that refresh on change (the day picker, the booking form's filters).
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    var fields = Array.prototype.slice.call(form.elements);
    if (form.id) {
      fields = fields.concat(Array.prototype.slice.call(document.querySelectorAll('[form="' + form.id + '"]')));
    }
    fields.forEach(function (el) {
      if (el.tagName === "SELECT" || el.type === "date" || el.type === "checkbox") {
        el.addEventListener("change", function () { form.requestSubmit ? form.requestSubmit() : form.submit(); });
      }
    });
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

  // Confirm before irreversible actions.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.confirm(form.dataset.confirm)) ev.preventDefault();
    });
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
