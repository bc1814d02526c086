// The pages' one script (no inline scripts, for the Content-Security-Policy); pages work without it.
// A "打印" link prints the page.
document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-print]");
  if (link) {
    event.preventDefault();
    window.print();
  }
});

// A "全选本页" box (data-select-all="FORM") ticks every checkbox belonging to that form; it is
// shown only where this script runs (without it, each box is ticked by hand).
document.querySelectorAll("[data-select-all]").forEach((all) => {
  const boxes = () => document.querySelectorAll(
    `input[type=checkbox][form="${all.dataset.selectAll}"]`);
  all.closest("label").hidden = false;
  all.addEventListener("change", () => boxes().forEach((box) => { box.checked = all.checked; }));
});

// What every page gets in the browser:
// 1. the browser's own form checks say what is wrong in Chinese, naming the field;
// 2. an update form marked data-draft keeps what is typed in this browser (localStorage) until
//    the server confirms the submission, so a login that expires, a closed tab or a lost
//    connection never loses a unit's text. The server's own checks stay the rule.
(function () {
  "use strict";

  function fieldName(control) {
    var label = control.closest("label");
    if (!label) return control.getAttribute("aria-label") || control.name || "";
    var copy = label.cloneNode(true);
    copy.querySelectorAll("input, select, textarea").forEach(function (el) { el.remove(); });
    return copy.textContent.replace(/（.*?）/g, "").trim();
  }

  function chineseMessage(control) {
    var v = control.validity, name = "“" + fieldName(control) + "”";
    if (v.valueMissing) {
      if (control.type === "file") return "请选择" + name + "的文件";
      if (control.tagName === "SELECT" || control.type === "checkbox") return "请选择" + name;
      return "请填写" + name;
    }
    if (v.tooLong) return name + "不能超过" + control.maxLength + "字";
    if (v.tooShort) return name + "至少" + control.minLength + "字";
    if (v.rangeUnderflow) return name + "不能小于" + control.min;
    if (v.rangeOverflow) return name + "不能大于" + control.max;
    if (v.stepMismatch) return name + "须为整数";
    if (v.badInput || v.typeMismatch) {
      if (control.type === "date") return name + "应为有效日期（年-月-日）";
      if (control.type === "number") return name + "应为数字";
      if (control.type === "email") return name + "应为电子邮件地址";
      if (control.type === "url") return name + "应为网址";
      return name + "格式不对";
    }
    if (v.patternMismatch) return control.title || name + "格式不对";
    return "";
  }

  document.addEventListener("invalid", function (event) {
    var control = event.target;
    control.setCustomValidity("");
    if (!control.validity.valid) control.setCustomValidity(chineseMessage(control));
  }, true);
  ["input", "change"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (event.target.setCustomValidity) event.target.setCustomValidity("");
    }, true);
  });

  var form = document.querySelector("form[data-draft]");
  if (!form || !window.localStorage) return;
  var key = "tracker-draft:" + form.dataset.draft;
  var kept = function (el) {
    return el.name && el.name.charAt(0) !== "_" && el.type !== "file" && el.type !== "hidden" &&
      el.type !== "submit";
  };
  if (form.dataset.draftClear === "1") {
    localStorage.removeItem(key);
  } else if (form.dataset.draftRestore !== "0") {
    var draft = null;
    try { draft = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { draft = null; }
    if (draft && typeof draft === "object") {
      var restored = false;
      Array.prototype.forEach.call(form.elements, function (el) {
        if (kept(el) && typeof draft[el.name] === "string" && draft[el.name] !== "") {
          el.value = draft[el.name];
          restored = true;
        }
      });
      if (restored) {
        var note = document.createElement("p");
        note.className = "notice draft-restored";
        note.setAttribute("role", "status");
        note.textContent = form.dataset.draftNote || "已恢复上次未提交的内容。";
        form.parentNode.insertBefore(note, form);
      }
    }
  }
  var save = function () {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (kept(el)) values[el.name] = el.value;
    });
    try { localStorage.setItem(key, JSON.stringify(values)); } catch (e) { /* storage full */ }
  };
  form.addEventListener("input", save);
  form.addEventListener("change", save);
  form.addEventListener("submit", save);
})();
