// The review page: the synthesis item by item, with accept, edit, reject, comment and export.
"use strict";

(function () {
  const { t, el, clear, $, api, notice, fail, fmt, citation, who, boot } = window.RT;
  const sections = boot.sections;
  const facilitator = boot.role === "facilitator";
  const NAME_KEY = "rondetafel.reviewer";
  let synthesis = null;
  const editing = new Set();

  const nameInput = $("reviewer-name");
  try { nameInput.value = window.localStorage.getItem(NAME_KEY) || ""; } catch (err) { /* private mode */ }
  nameInput.addEventListener("change", function () {
    try { window.localStorage.setItem(NAME_KEY, nameInput.value.trim()); } catch (err) { /* private mode */ }
  });
  function by() { const n = nameInput.value.trim(); return n ? { by: n } : {}; }

  function when(iso) {
    const d = new Date(iso);
    const locale = boot.meeting.language === "nl" ? "nl-NL" : "en-GB";
    return isNaN(d) ? iso : d.toLocaleString(locale, { dateStyle: "short", timeStyle: "short" });
  }

  function button(label, cls, onClick, data) {
    const b = el("button", Object.assign({ type: "button", class: "button " + (cls || ""), text: label }, data || {}));
    b.addEventListener("click", onClick);
    return b;
  }

  async function patch(item, body) {
    try {
      const updated = await api("PATCH", "/synthesis/items/" + encodeURIComponent(item.id), Object.assign(body, by()));
      const i = synthesis.items.findIndex(function (x) { return x.id === updated.id; });
      synthesis.items[i] = updated;
      editing.delete(updated.id);
      replaceItem(updated);
      progress();
    } catch (err) { fail(err); }
  }

  function actions(item, form) {
    const row = el("div", { class: "actions" });
    const comment = button(t.review.comment, "quiet push", function () {
      form.hidden = !form.hidden;
      if (!form.hidden) form.querySelector("input").focus();
    }, { "data-action": "comment" });
    if (synthesis.shared) { row.append(comment); return row; }
    const s = item.state;
    if (s === "draft") row.append(button(t.review.accept, "primary", function () { patch(item, { state: "accepted" }); }, { "data-action": "accept" }));
    if (s !== "rejected") row.append(button(t.review.edit, "", function () { editing.add(item.id); replaceItem(item); }, { "data-action": "edit" }));
    if (s === "draft") row.append(button(t.review.reject, "danger quiet", function () { patch(item, { state: "rejected" }); }, { "data-action": "reject" }));
    if (s !== "draft") row.append(button(t.review.reopen, "quiet", function () { patch(item, { state: "draft" }); }, { "data-action": "reopen" }));
    row.append(comment);
    return row;
  }

  function editor(item) {
    const area = el("textarea", { rows: 4, class: "edit-text", "aria-label": t.review.edit });
    area.value = item.text;
    const form = el("form", { class: "editor" }, area, el("div", { class: "actions" },
      el("button", { type: "submit", class: "button primary", text: t.review.save, "data-action": "save" }),
      button(t.review.cancel, "quiet", function () { editing.delete(item.id); replaceItem(item); })));
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      const text = area.value.trim();
      if (text) patch(item, { text: text });
    });
    setTimeout(function () { area.focus(); }, 0);
    return form;
  }

  function conflict(item) {
    const c = item.conflict;
    if (!c) return null;
    const box = el("div", { class: "conflict" },
      el("p", { class: "conflict-title", text: c.kind === "gone" ? t.review.conflict_gone : t.review.conflict_changed }));
    if (c.text) box.append(el("p", { class: "item-text", text: c.text }));
    if (c.evidence && c.evidence.length) box.append(el("ul", { class: "cites" }, c.evidence.map(citation)));
    box.append(el("div", { class: "actions" },
      button(t.review.keep, "", function () { patch(item, { resolve: "keep" }); }, { "data-action": "keep" }),
      button(t.review.adopt, "quiet", function () { patch(item, { resolve: "adopt" }); }, { "data-action": "adopt" })));
    return box;
  }

  function commentForm(item) {
    const input = el("input", { type: "text", maxlength: 5000, placeholder: t.review.comment_placeholder, "aria-label": t.review.comment });
    const form = el("form", { class: "comment-form", hidden: true }, input,
      el("button", { type: "submit", class: "button", text: t.review.add_comment, "data-action": "add-comment" }));
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      const text = input.value.trim();
      if (text) patch(item, { comment: text });
    });
    return form;
  }

  function comments(item) {
    if (!item.comments.length) return null;
    return el("ul", { class: "comments" }, item.comments.map(function (c) {
      return el("li", {}, el("span", { class: "meta", text: when(c.at) + " · " + (c.by || c.role) }), el("p", { text: c.text }));
    }));
  }

  function history(item) {
    if (!item.history.length) return null;
    return el("details", { class: "history" }, el("summary", { text: fmt(t.review.history, { count: item.history.length }) }),
      el("ul", {}, item.history.map(function (h) {
        return el("li", {}, el("span", { text: fmt(t.review.history_entry, {
          when: when(h.at), who: h.by || h.role, from: t.review.states[h.from_state], to: t.review.states[h.to_state],
        }) }), h.previous_text ? el("p", { class: "previous", text: h.previous_text }) : null);
      })));
  }

  function renderItem(item) {
    const node = el("article", { class: "review-item", "data-id": item.id, "data-state": item.state },
      el("header", {},
        el("span", { class: "state state-" + item.state, text: t.review.states[item.state] }),
        t.review.basis[item.basis] ? el("span", { class: "basis", text: t.review.basis[item.basis] }) : null));
    if (editing.has(item.id)) node.append(editor(item));
    else node.append(el("p", { class: "item-text", text: item.text }));
    if (item.evidence.length) {
      node.append(el("details", { class: "evidence" },
        el("summary", { text: fmt(t.review.evidence, { count: item.evidence.length }) }),
        el("ul", { class: "cites" }, item.evidence.map(citation))));
    }
    const form = commentForm(item);
    node.append(conflict(item) || "", editing.has(item.id) ? "" : actions(item, form), form,
      comments(item) || "", history(item) || "");
    return node;
  }

  function replaceItem(item) {
    const old = document.querySelector('.review-item[data-id="' + CSS.escape(item.id) + '"]');
    if (!old) return;
    const fresh = renderItem(item);
    // Evidence or history the reviewer opened stays open.
    ["details.evidence", "details.history"].forEach(function (sel) {
      const was = old.querySelector(sel);
      const now = fresh.querySelector(sel);
      if (was && now) now.open = was.open;
    });
    old.replaceWith(fresh);
  }

  function progress() {
    const total = synthesis.items.length;
    const decided = synthesis.items.filter(function (i) { return i.state !== "draft"; }).length;
    const approved = total > 0 && decided === total;
    let text = fmt(t.review.progress, { decided: decided, total: total });
    if (approved) text += " " + t.review.approved;
    if (synthesis.shared) text += " " + t.review.shared;
    $("progress").textContent = synthesis.generated ? text : "";
    document.body.dataset.approved = approved ? "yes" : "no";
    if (facilitator) {
      $("share").hidden = !approved || synthesis.shared;
      $("unshare").hidden = !synthesis.shared;
    }
  }

  function render() {
    const box = clear($("sections"));
    $("not-generated").hidden = synthesis.generated;
    sections.forEach(function (pair) {
      const key = pair[0];
      const items = synthesis.items.filter(function (i) { return i.section === key; });
      if (!items.length) return;
      box.append(el("section", { class: "review-section", "data-section": key },
        el("h2", { text: pair[1] }), items.map(renderItem)));
    });
    progress();
  }

  async function load() {
    try { synthesis = await api("GET", "/synthesis"); render(); } catch (err) { fail(err); }
  }

  if (facilitator) {
    $("generate").addEventListener("click", async function () {
      try {
        const r = await api("POST", "/synthesis");
        notice(fmt(t.review.generated, { items: r.items, conflicts: r.conflicts.length }));
        load();
      } catch (err) { fail(err); }
    });
    $("share").addEventListener("click", async function () {
      try { synthesis = await api("POST", "/synthesis/share"); render(); } catch (err) { fail(err); }
    });
    $("unshare").addEventListener("click", async function () {
      try { synthesis = await api("DELETE", "/synthesis/share"); render(); } catch (err) { fail(err); }
    });
  }

  load();
})();
