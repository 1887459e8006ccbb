// junkan web application: progressive enhancement only. Every page reads and every form works
// without this file; it adds copy buttons, a notice before the session ends, and highlighting of
// a lineage node's edges. Texts come from data- attributes the server wrote in the page's language.
"use strict";

(function () {
  // Copy buttons next to identifiers: <code data-copy data-copy-label="…" data-copied-label="…">.
  function addCopyButtons() {
    if (!navigator.clipboard) {
      return;
    }
    document.querySelectorAll("[data-copy]").forEach(function (element) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy secondary";
      button.textContent = element.getAttribute("data-copy-label") || "Copy";
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(element.textContent.trim()).then(function () {
          button.textContent = element.getAttribute("data-copied-label") || "Copied";
        }, function () {
          // Clipboard refused (permissions): the identifier stays selectable by hand.
        });
      });
      element.insertAdjacentElement("afterend", button);
    });
  }

  // A polite notice five minutes before the session ends: <body data-session-ends="ms since epoch">.
  function announceSessionEnd() {
    var body = document.body;
    var ends = Number(body.getAttribute("data-session-ends"));
    var text = body.getAttribute("data-session-warning");
    if (!ends || !text) {
      return;
    }
    var delay = ends - Date.now() - 5 * 60 * 1000;
    window.setTimeout(function () {
      var notice = document.getElementById("session-notice");
      if (notice) {
        notice.textContent = text;
        notice.hidden = false;
      }
    }, Math.max(delay, 0));
  }

  // Lineage graph: focusing or pointing at a node highlights it and the edges that touch it.
  function highlightLineage() {
    document.querySelectorAll(".lineage [data-node]").forEach(function (node) {
      var id = node.getAttribute("data-node");
      var edges = document.querySelectorAll(
        '.lineage [data-from="' + CSS.escape(id) + '"], .lineage [data-to="' + CSS.escape(id) + '"]'
      );
      function set(on) {
        node.classList.toggle("highlight", on);
        edges.forEach(function (edge) {
          edge.style.stroke = on ? "#0b57d0" : "";
          edge.style.strokeWidth = on ? "3" : "";
        });
      }
      ["mouseenter", "focusin"].forEach(function (name) {
        node.addEventListener(name, function () { set(true); });
      });
      ["mouseleave", "focusout"].forEach(function (name) {
        node.addEventListener(name, function () { set(false); });
      });
    });
  }

  // File imports: <form data-upload data-progress-label="…">. Sent by XMLHttpRequest so that a
  // progress bar can show the upload; the report the server answers replaces the main part.
  function uploadWithProgress() {
    document.querySelectorAll("form[data-upload]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.FormData || !window.XMLHttpRequest) {
          return;
        }
        event.preventDefault();
        var progress = document.createElement("progress");
        progress.max = 100;
        progress.value = 0;
        progress.setAttribute("aria-label", form.getAttribute("data-progress-label") || "");
        form.appendChild(progress);
        var button = form.querySelector("button[type=submit]");
        if (button) {
          button.disabled = true;
        }
        var request = new XMLHttpRequest();
        request.open("POST", form.action);
        request.responseType = "document";
        request.upload.addEventListener("progress", function (sent) {
          if (sent.lengthComputable) {
            progress.value = Math.round((sent.loaded / sent.total) * 100);
          }
        });
        request.addEventListener("load", function () {
          var answer = request.response;
          var main = answer && answer.querySelector("main");
          if (!main) {
            form.submit();
            return;
          }
          document.querySelector("main").replaceWith(document.importNode(main, true));
          document.title = answer.title;
          var report = document.getElementById("upload-report");
          if (report) {
            report.setAttribute("tabindex", "-1");
            report.focus();
          }
        });
        request.addEventListener("error", function () {
          // The network failed: send the form the plain way, which shows the browser's error.
          form.submit();
        });
        request.send(new FormData(form));
      });
    });
  }

  function start() {
    uploadWithProgress();
    addCopyButtons();
    announceSessionEnd();
    highlightLineage();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
