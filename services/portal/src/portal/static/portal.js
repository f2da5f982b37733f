// Live inbox: server-sent events relayed by the portal; each event is a rendered <li>.
// Without JavaScript the inbox page still lists every entry (reload to refresh).
(function () {
  "use strict";
  function start() {
    var box = document.getElementById("inbox");
    if (!box || !window.EventSource) { return; }
    var list = document.getElementById("inbox-list");
    var empty = document.getElementById("inbox-empty");
    var status = document.getElementById("inbox-status");
    var fresh = 0;
    var source = new EventSource(box.getAttribute("data-stream"));
    source.addEventListener("open", function () { box.setAttribute("data-live", "on"); });
    source.addEventListener("ready", function () { box.setAttribute("data-live", "on"); });
    source.addEventListener("entry", function (event) {
      var holder = document.createElement("template");
      holder.innerHTML = event.data.trim();
      var item = holder.content.firstElementChild;
      if (!item) { return; }
      var old = document.getElementById(item.id);
      if (old) {
        // An entry already shown keeps its read form; only its content is refreshed.
        var form = old.querySelector("form");
        if (form && !item.querySelector("form")) {
          var meta = item.querySelectorAll(".meta");
          if (meta.length) { meta[meta.length - 1].appendChild(form); }
        }
        old.replaceWith(item);
        return;
      }
      list.insertBefore(item, list.firstChild);
      if (empty) { empty.hidden = true; }
      fresh += 1;
      // Singular and plural differ in both languages ("1 ny händelse", "2 nya händelser").
      var text = box.getAttribute(fresh === 1 ? "data-new-text-one" : "data-new-text");
      status.textContent = text.replace("{n}", String(fresh));
    });
    source.addEventListener("failed", function () { source.close(); box.setAttribute("data-live", "off"); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

// CPV code picker (templates/_cpv_picker.html): htmx fills the results with buttons; choosing
// one adds the code as a chip that carries a hidden `cpv_codes` input and a remove button.
// Without JavaScript the picker stays hidden and the text field of codes is sent instead.
(function () {
  "use strict";
  function picker(box) {
    var field = box.querySelector(".cpv-picker");
    var fallback = box.querySelector(".cpv-fallback");
    var chips = field.querySelector(".chips");
    var none = field.querySelector(".chips-none");
    var search = field.querySelector("input[type=search]");
    var results = field.querySelector(".cpv-results");
    var status = field.querySelector(".cpv-status");
    var form = box.closest("form");
    var focusFrom = -1;

    fallback.hidden = true;
    fallback.querySelector("input").disabled = true;
    chips.querySelectorAll("input").forEach(function (input) { input.disabled = false; });
    field.hidden = false;

    function chipOf(code) {
      return chips.querySelector('[data-cpv-chip="' + CSS.escape(code) + '"]');
    }
    function options() { return Array.prototype.slice.call(results.querySelectorAll("[data-cpv-pick]")); }
    function say(template, name) { status.textContent = template.replace("{name}", name); }
    function sync() {
      none.hidden = chips.children.length > 0;
      options().forEach(function (option) {
        option.setAttribute("aria-pressed", chipOf(option.getAttribute("data-cpv-pick")) ? "true" : "false");
      });
      var all = options();
      if (focusFrom >= 0 && all.length) { (all[focusFrom] || all[all.length - 1]).focus(); }
      focusFrom = -1;
    }
    function changed() {
      sync();
      // the need form's preview listens for changes of the form
      if (form) { form.dispatchEvent(new Event("change", { bubbles: true })); }
    }
    function add(code, full, label) {
      var name = label ? full + " " + label : full;
      var chip = document.createElement("li");
      chip.className = "chip";
      chip.setAttribute("data-cpv-chip", code);
      var text = document.createElement("span");
      text.className = "chip-text";
      var codeText = document.createElement("span");
      codeText.className = "cpv-code";
      codeText.textContent = full;
      text.appendChild(codeText);
      text.appendChild(document.createTextNode(label ? " " + label : ""));
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "cpv_codes";
      input.value = code;
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "chip-remove";
      remove.setAttribute("aria-label", field.getAttribute("data-remove-text").replace("{name}", name));
      var cross = document.createElement("span");
      cross.setAttribute("aria-hidden", "true");
      cross.textContent = "×";
      remove.appendChild(cross);
      chip.appendChild(text);
      chip.appendChild(input);
      chip.appendChild(remove);
      chips.appendChild(chip);
      say(field.getAttribute("data-added-text"), name);
      changed();
    }
    function drop(chip) {
      var name = chip.querySelector(".chip-text").textContent;
      chip.remove();
      say(field.getAttribute("data-removed-text"), name);
      changed();
    }

    field.addEventListener("click", function (event) {
      var target = event.target.closest("button");
      if (!target) { return; }
      if (target.hasAttribute("data-cpv-pick")) {
        var code = target.getAttribute("data-cpv-pick");
        var chip = chipOf(code);
        if (chip) {
          drop(chip);
        } else {
          add(code, target.getAttribute("data-cpv-full"), target.getAttribute("data-cpv-label"));
        }
      } else if (target.classList.contains("chip-remove")) {
        drop(target.closest(".chip"));
        search.focus();
      } else if (target.closest(".cpv-more")) {
        focusFrom = options().length;  // the first of the next page, once it is there
      } else if (target.classList.contains("cpv-browse")) {
        focusFrom = 0;
      }
    });
    // Enter searches (it must not send the form); the arrow keys move through the results.
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        if (window.htmx) { window.htmx.trigger(search, "search"); }
      } else if (event.key === "ArrowDown" && options().length) {
        event.preventDefault();
        options()[0].focus();
      }
    });
    results.addEventListener("keydown", function (event) {
      var all = options();
      var at = all.indexOf(document.activeElement);
      if (event.key === "Escape") {
        search.focus();
      } else if (at >= 0 && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
        event.preventDefault();
        var next = event.key === "ArrowDown" ? Math.min(at + 1, all.length - 1) : at - 1;
        if (next < 0) { search.focus(); } else { all[next].focus(); }
      }
    });
    // Typing a search is not a change of the need: keep the preview from asking again.
    ["input", "change"].forEach(function (name) {
      search.addEventListener(name, function (event) { event.stopPropagation(); });
    });
    // htmx:afterSwap comes with the new content (the results, or the next page's items),
    // before htmx settles it: so the focus moves before anyone can act on the new results
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (results.contains(event.target)) { sync(); }
    });
  }
  function start() {
    document.querySelectorAll(".cpv-field").forEach(picker);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
