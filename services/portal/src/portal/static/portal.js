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
      status.textContent = box.getAttribute("data-new-text").replace("{n}", String(fresh));
    });
    source.addEventListener("failed", function () { source.close(); box.setAttribute("data-live", "off"); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
