// The participant's page: put a position on the table, replace it, withdraw it.
"use strict";

(function () {
  const { t, el, clear, $, api, notice, fail, fmt, meeting } = window.RT;
  const sections = window.RT.boot.sections;
  let current = null;
  let locked = meeting.positions_locked;

  function show() {
    $("no-position").hidden = current !== null;
    $("position").hidden = current === null;
    if (current) {
      $("position-text").textContent = current.text;
      $("position-file").textContent = current.filename ? fmt(t.participant.from_file, { filename: current.filename }) : "";
      $("position-file").hidden = !current.filename;
    }
    const submit = $("position-submit");
    submit.textContent = current ? submit.dataset.labelReplace : submit.dataset.labelAdd;
    $("h-put").textContent = current ? t.participant.put_replace : t.participant.put;
    $("locked").hidden = !locked;
    document.querySelectorAll("#position-form textarea, #position-form input, #position-form button, #withdraw")
      .forEach(function (n) { n.disabled = locked; });
  }

  async function load() {
    try {
      const [positions, m] = await Promise.all([api("GET", "/positions"), api("GET", "")]);
      current = positions.length ? positions[positions.length - 1] : null;
      locked = m.positions_locked;
      show();
    } catch (err) { fail(err); }
    loadShared();
  }

  async function loadShared() {
    // Only once the team approved and shared the synthesis; before that the API says 403.
    let synthesis;
    try { synthesis = await api("GET", "/synthesis"); } catch (err) { return; }
    if (!synthesis || !synthesis.items.length) return;
    const box = clear($("shared-items"));
    sections.forEach(function (pair) {
      const key = pair[0];
      const items = synthesis.items.filter(function (i) { return i.section === key; });
      if (!items.length) return;
      box.append(el("h3", { text: pair[1] }), el("ul", { class: "items" }, items.map(function (i) {
        return el("li", { class: "item", text: i.text });
      })));
    });
    $("shared").hidden = false;
  }

  $("position-form").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const text = $("position-input").value.trim();
    const file = $("position-file-input").files[0];
    if (!text && !file) { notice(t.participant.need_input, "error"); return; }
    if (text && file) { notice(t.participant.both_given, "error"); return; }
    let body;
    if (file) { body = new FormData(); body.append("file", file); }
    else body = { text: text };
    const replacing = current !== null;
    const button = $("position-submit");
    button.disabled = true;
    try {
      current = await api(replacing ? "PUT" : "POST", "/positions", body);
      $("position-input").value = "";
      $("position-file-input").value = "";
      notice(replacing ? t.participant.replaced : t.participant.added);
    } catch (err) {
      fail(err);
      if (err.status === 409) load();
    } finally { button.disabled = false; show(); }
  });

  $("withdraw").addEventListener("click", async function () {
    if (!window.confirm(t.participant.withdraw_confirm)) return;
    try {
      await api("DELETE", "/positions");
      current = null;
      notice(t.participant.withdrawn);
    } catch (err) { fail(err); if (err.status === 409) load(); }
    show();
  });

  show();
  load();
})();
