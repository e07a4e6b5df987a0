// Operator console: live findings while typing, and keyboard shortcuts. The page works without it.
(function () {
  "use strict";
  const form = document.getElementById("call-form");
  if (!form) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const list = document.getElementById("findings");
  const verdict = document.getElementById("verdict");
  const suggestion = document.getElementById("category-suggestion");
  const routing = document.getElementById("routing-suggestion");
  const VERDICTS = {
    accepted: "Đủ thông tin.",
    needs_information: "Cần hỏi thêm người gọi:",
    rejected: "Chưa thể tiếp nhận:",
  };
  let timer = null;
  let sequence = 0;

  function fields() {
    const data = {};
    for (const name of ["phone", "name", "content", "location", "incident_time"]) {
      const value = form.elements[name].value.trim();
      if (value) data[name] = value;
    }
    data.confidential = form.elements.confidential.checked;
    return data;
  }

  async function check() {
    const mine = ++sequence;
    let answer;
    try {
      const response = await fetch("/hotline/findings", {
        method: "POST",
        headers: { "content-type": "application/json", "x-csrf-token": csrf },
        body: JSON.stringify(fields()),
        credentials: "same-origin",
      });
      if (!response.ok) return;
      answer = await response.json();
    } catch (error) {
      return;
    }
    if (mine !== sequence) return; // a newer check is on its way
    list.replaceChildren();
    for (const finding of answer.findings) {
      const item = document.createElement("li");
      item.className = finding.severity;
      item.dataset.code = finding.code;
      item.textContent = finding.message;
      list.append(item);
    }
    verdict.textContent = VERDICTS[answer.verdict] || "";
    verdict.dataset.verdict = answer.verdict;
    suggestion.textContent = answer.category ? "Gợi ý: " + answer.category.name : "";
    suggestion.dataset.code = answer.category ? answer.category.code : "";
    const route = answer.routing;
    routing.textContent = route ? routing.dataset.label + route.agency + " (" + route.level_name + ")" : "";
    routing.title = route ? route.reason : ""; // why: on hover
    routing.dataset.level = route ? route.level : "";
    form.dataset.checked = String(mine);
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  });
  form.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    } else if (event.altKey && /^[1-4]$/.test(event.key)) {
      event.preventDefault();
      const radios = form.querySelectorAll('input[name="outcome"]');
      radios[Number(event.key) - 1].checked = true;
    }
  });
  const first = form.elements.phone.value ? form.elements.name : form.elements.phone;
  first.focus();
  if (form.elements.phone.value) check();
})();
