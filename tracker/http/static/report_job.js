// The report job page: long-poll the job's small JSON status until it is done, then offer the
// files. The server holds each look until the job moves on (a new step, done or failed) or for
// WAIT seconds, so the page learns of each step at once with one request per step.
(function () {
  "use strict";
  var box = document.getElementById("report-job");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var progress = box.querySelector("progress");
  var step = box.querySelector(".job-step");
  var WAIT = 20;

  function show(status) {
    box.setAttribute("data-state", status.state);
    if (status.state === "running") {
      progress.value = status.done_steps;
      step.textContent = "正在" + status.step + "…（第 " + (status.done_steps + 1) + " 步，共 " +
        status.total_steps + " 步）";
      return false;
    }
    box.querySelector(".job-progress").hidden = true;
    if (status.state === "done") {
      box.querySelector(".job-message").textContent = status.reused
        ? "该报告的内容与已归档的报告相同，直接提供归档文件（归档编号 " + status.report_id + "）。"
        : "报告已生成并归档（归档编号 " + status.report_id + "）。";
      box.querySelector(".job-pdf").href = status.pdf_url;
      box.querySelector(".job-docx").href = status.docx_url;
      box.querySelector(".job-done").hidden = false;
    } else {
      var error = box.querySelector(".job-error");
      error.textContent = status.error;
      error.hidden = false;
    }
    return true;
  }

  function poll() {
    fetch(url + "?wait=" + WAIT, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (status) { if (!show(status)) { setTimeout(poll, 100); } })
      .catch(function () { setTimeout(poll, 2000); });
  }

  if (box.getAttribute("data-state") === "running") { poll(); }
})();
