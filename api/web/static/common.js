// Shared helpers for the pages. Data from the API is only ever put on the page as text
// (textContent, text nodes, form values): never as HTML.
"use strict";

(function () {
  const boot = JSON.parse(document.getElementById("rt-boot").textContent);
  const t = boot.t;
  const meeting = boot.meeting;
  const base = "/meetings/" + encodeURIComponent(meeting.id);

  /** Fill $name placeholders from vars; unknown ones stay as they are. */
  function fmt(template, vars) {
    return String(template).replace(/\$(\w+)/g, function (m, k) {
      return vars && Object.prototype.hasOwnProperty.call(vars, k) ? String(vars[k]) : m;
    });
  }

  // The only attributes el() sets: none of them can run code or load anything.
  const SAFE_ATTRS = new Set([
    "id", "type", "title", "role", "hidden", "lang", "value", "name", "rows", "maxlength",
    "placeholder", "for", "open", "disabled", "aria-label", "aria-current", "aria-live",
    "aria-expanded", "datetime",
  ]);

  /** A new element: attrs.class, attrs.text, data-* and a few safe attributes. */
  function el(tag, attrs) {
    const node = document.createElement(tag);
    const a = attrs || {};
    for (const key of Object.keys(a)) {
      const v = a[key];
      if (v === null || v === undefined || v === false) continue;
      if (key === "class") node.className = v;
      else if (key === "text") node.textContent = v;
      else if (key.startsWith("data-") || SAFE_ATTRS.has(key)) node.setAttribute(key, v === true ? "" : String(v));
      else throw new Error("el(): attribute not allowed: " + key);
    }
    for (let i = 2; i < arguments.length; i++) {
      const child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      if (Array.isArray(child)) child.forEach(function (c) { if (c) node.append(c); });
      else node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function $(id) { return document.getElementById(id); }

  let noticeTimer = null;
  /** Show a short message at the top of the page; errors stay until the next one. */
  function notice(text, kind) {
    const box = $("notice");
    if (!box) return;
    box.textContent = text;
    box.dataset.kind = kind || "info";
    box.hidden = false;
    if (noticeTimer) clearTimeout(noticeTimer);
    if (kind !== "error") noticeTimer = setTimeout(function () { box.hidden = true; }, 6000);
  }

  const noticeBox = $("notice");
  if (noticeBox) noticeBox.addEventListener("click", function () { noticeBox.hidden = true; });

  class ApiError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
    }
  }

  /** Call the meeting's JSON API with the session cookie. body: an object (sent as JSON)
   *  or FormData. Resolves to the parsed JSON (null for 204); rejects with ApiError. */
  async function api(method, path, body) {
    const headers = { "Accept": "application/json", "X-Rondetafel-Request": "1" };
    let payload;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(base + path, {
        method: method, headers: headers, body: payload, credentials: "same-origin",
        cache: "no-store",
      });
    } catch (err) {
      throw new ApiError(0, t.common.network);
    }
    if (response.status === 204) return null;
    let data = null;
    try { data = await response.json(); } catch (err) { data = null; }
    if (!response.ok) {
      if (response.status === 401) throw new ApiError(401, t.common.session);
      const detail = data && typeof data.detail === "string" ? data.detail : String(response.status);
      throw new ApiError(response.status, detail);
    }
    return data;
  }

  /** Report a failed call on the page. */
  function fail(err) {
    if (err && err.status === 401) notice(t.common.session, "error");
    else if (err && err.status === 0) notice(t.common.network, "error");
    else notice(fmt(t.common.error, { detail: err && err.message ? err.message : String(err) }), "error");
  }

  const people = {};
  meeting.participants.forEach(function (p) { people[p.id] = p; });
  const parties = {};
  meeting.parties.forEach(function (p) { parties[p.id] = p.name; });

  function personName(id) { return people[id] ? people[id].name : id; }
  function partyName(id) { return parties[id] || id; }
  /** "Name (Party)" for a participant id. */
  function who(id) {
    const p = people[id];
    return p ? fmt(t.common.by, { name: p.name, party: partyName(p.party) }) : id;
  }

  /** A quote with who said it and where: utterance id or written position. */
  function citation(c) {
    const ref = c.utterance_id ? c.utterance_id : t.common.position_ref + " " + c.position_id;
    return el("li", { class: "cite" },
      el("q", { class: "quote", text: c.quote }),
      el("span", { class: "cite-by" }, who(c.participant || c.speaker), el("span", { class: "ref", text: ref })));
  }

  /** Follow the meeting's event stream; fall back to polling if it is not there.
   *  onUpdate(data) gets every snapshot; refresh() must return the same shape. */
  function live(onUpdate, refresh) {
    const badge = $("live");
    function state(s) {
      if (!badge) return;
      badge.dataset.state = s;
      badge.textContent = s === "live" ? t.console.live : s === "polling" ? t.console.polling : t.console.offline;
      document.body.dataset.live = s;
    }
    let polling = null;
    function poll() {
      if (polling) return;
      state("polling");
      const tick = function () {
        refresh().then(onUpdate).catch(function (err) { if (err.status === 401) fail(err); });
      };
      tick();
      polling = setInterval(tick, 4000);
    }
    if (!window.EventSource) { poll(); return; }
    const source = new EventSource(base + "/events");
    source.addEventListener("open", function () { state("live"); });
    source.addEventListener("update", function (ev) {
      state("live");
      let data;
      try { data = JSON.parse(ev.data); } catch (err) { return; }
      onUpdate(data);
    });
    source.addEventListener("error", function () {
      // CLOSED: the server refused the stream (no route, no session); the browser will not
      // retry, so poll instead. Otherwise the browser is already reconnecting.
      if (source.readyState === EventSource.CLOSED) { source.close(); poll(); }
      else state("offline");
    });
  }

  window.RT = {
    boot: boot, t: t, meeting: meeting, fmt: fmt, el: el, clear: clear, $: $, api: api,
    notice: notice, fail: fail, personName: personName, partyName: partyName, who: who,
    citation: citation, live: live, people: people,
  };
})();
