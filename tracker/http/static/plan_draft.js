// The import preview: a task's "原文第 N 行" link highlights its source lines and scrolls the
// source pane to them (without this file the link still jumps to the line, marked by :target).
(function () {
  "use strict";
  var pane = document.getElementById("source-text");
  if (!pane) { return; }
  function highlight(from, to) {
    pane.querySelectorAll(".src-line.hl").forEach(function (line) { line.classList.remove("hl"); });
    var first = null;
    for (var n = from; n <= to; n += 1) {
      var line = document.getElementById("L" + n);
      if (line) { line.classList.add("hl"); first = first || line; }
    }
    if (first) {
      pane.scrollTop = first.offsetTop - pane.clientHeight / 3;
      if (window.matchMedia("(max-width: 900px)").matches) { first.scrollIntoView({block: "center"}); }
    }
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.src-link");
    if (!link) { return; }
    event.preventDefault();
    document.querySelectorAll("fieldset.draft-task.linked").forEach(function (task) { task.classList.remove("linked"); });
    link.closest("fieldset.draft-task").classList.add("linked");
    highlight(parseInt(link.dataset.from, 10), parseInt(link.dataset.to, 10));
  });
})();
