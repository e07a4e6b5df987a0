// Citizen form: the normalizer's findings while typing, and "use my location". The form works without it.
(function () {
  "use strict";
  const form = document.getElementById("submission-form");
  if (!form) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const panel = document.getElementById("live-panel");
  const list = document.getElementById("live-findings");
  const verdict = document.getElementById("live-verdict");
  const FIELDS = ["content", "incident_time", "location", "name", "phone", "email", "address"];
  const touched = new Set();
  let timer = null;
  let sequence = 0;

  function values() {
    const data = { confidential: form.elements.confidential.checked };
    for (const name of FIELDS) {
      const value = form.elements[name].value.trim();
      if (value) data[name] = value;
    }
    return data;
  }

  function show(answer, mine) {
    list.replaceChildren();
    for (const name of FIELDS.concat(["latitude", "files"])) {
      const live = document.getElementById(name + "-live");
      if (live) live.textContent = "";
    }
    for (const finding of answer.findings) {
      const item = document.createElement("li");
      item.className = finding.severity;
      item.dataset.code = finding.code;
      item.textContent = finding.message;
      list.append(item);
      const live = document.getElementById((finding.field || "content") + "-live");
      if (live && touched.has(finding.field || "content")) live.textContent = finding.message;
    }
    verdict.textContent = answer.findings.length ? verdict.dataset.problems : verdict.dataset.ok;
    verdict.dataset.verdict = answer.verdict;
    panel.hidden = false;
    form.dataset.checked = String(mine);
  }

  async function check() {
    const mine = ++sequence;
    let answer;
    try {
      const response = await fetch("/hints", {
        method: "POST",
        headers: { "content-type": "application/json", "x-csrf-token": csrf },
        body: JSON.stringify(values()),
        credentials: "same-origin",
      });
      if (!response.ok) return;
      answer = await response.json();
    } catch (error) {
      return;
    }
    if (mine === sequence) show(answer, mine);
  }

  form.addEventListener("input", function (event) {
    if (event.target && event.target.name) touched.add(event.target.name === "email" ? "phone" : event.target.name);
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  });

  const locate = document.getElementById("locate");
  if (locate && "geolocation" in navigator) {
    locate.hidden = false;
    const label = locate.textContent;
    locate.addEventListener("click", function () {
      locate.textContent = locate.dataset.busy;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          form.elements.latitude.value = position.coords.latitude.toFixed(6);
          form.elements.longitude.value = position.coords.longitude.toFixed(6);
          locate.textContent = label;
        },
        function () {
          locate.textContent = label;
          document.getElementById("latitude-live").textContent = locate.dataset.failed;
        },
        { timeout: 10000 }
      );
    });
  }
})();
