// The facilitator's console: steps, transcript, advice, live panels and the consult box.
"use strict";

(function () {
  const { t, meeting, el, clear, $, api, notice, fail, fmt, who, partyName, personName, citation } = window.RT;
  const steps = window.RT.boot.steps;
  let step = meeting.step;
  let positionsLocked = meeting.positions_locked;
  let frameTouched = false;
  let lastUtterance = null;
  const seen = new Set();

  // ---- steps ---------------------------------------------------------------------
  function showStep(s) {
    step = s;
    document.querySelectorAll(".stepper .step").forEach(function (b) {
      if (b.dataset.step === s) b.setAttribute("aria-current", "step");
      else b.removeAttribute("aria-current");
    });
    const i = steps.indexOf(s);
    $("step-prev").disabled = i <= 0;
    $("step-next").disabled = i >= steps.length - 1;
    $("frame-box").hidden = s !== "frame";
    $("positions-box").hidden = !(s === "start" || s === "frame");
    $("synthesis-box").hidden = s !== "synthesis";
    document.body.dataset.step = s;
    if (s === "start" || s === "frame") loadPositions();
  }

  async function moveTo(s) {
    if (!s || s === step) return;
    setBusy(true);
    try {
      const suggestions = await api("POST", "/step", { to: s });
      showStep(suggestions.step);
      showSuggestions(suggestions);
    } catch (err) { fail(err); } finally { setBusy(false); }
  }

  function setBusy(busy) {
    document.querySelectorAll(".stepper button").forEach(function (b) { b.classList.toggle("busy", busy); });
    document.body.classList.toggle("busy", busy);
  }

  document.querySelectorAll(".stepper .step").forEach(function (b) {
    b.addEventListener("click", function () { moveTo(b.dataset.step); });
  });
  $("step-prev").addEventListener("click", function () { moveTo(steps[steps.indexOf(step) - 1]); });
  $("step-next").addEventListener("click", function () { moveTo(steps[steps.indexOf(step) + 1]); });

  // ---- advice and questions -------------------------------------------------------
  // Agreements and differences have their own panels; the advice list leaves them out.
  const OWN_PANEL = new Set(["agreement", "difference"]);

  function showSuggestions(s) {
    if (!s) return;
    $("headline").textContent = s.headline;
    const list = clear($("advice"));
    s.items.filter(function (it) { return !OWN_PANEL.has(it.kind); }).forEach(function (it) {
      const li = el("li", { class: "item kind-" + it.kind, "data-kind": it.kind }, el("p", { class: "item-text", text: it.text }));
      if (it.citations && it.citations.length) li.append(el("ul", { class: "cites" }, it.citations.map(citation)));
      list.append(li);
      if (it.kind === "frame_draft" && !frameTouched && !meeting.frame) $("frame-text").value = it.text;
    });
    const qs = clear($("questions"));
    (s.questions || []).forEach(function (q) {
      const li = el("li", { class: "item question", "data-id": q.id },
        el("p", { class: "item-text", text: q.text }),
        el("p", { class: "meta" }, fmt(t.console.question_for, { name: who(q.addressee) }),
          q.fallback ? el("span", { class: "tag", text: t.console.fallback }) : null),
        el("ul", { class: "cites" }, citation(q.grounded_in)));
      qs.append(li);
    });
    $("no-questions").hidden = (s.questions || []).length > 0;
    $("no-questions").textContent = s.step === "values" ? t.console.no_questions : t.console.questions_in_values;
  }

  // ---- agreements, differences, signals -------------------------------------------
  function partiesLine(a) {
    if (a.all_parties) return t.console.all_parties;
    return a.parties.map(partyName).join(" · ");
  }

  function showAgreements(data) {
    if (!data) return;
    const list = clear($("agreements"));
    data.agreements.forEach(function (a) {
      list.append(el("li", { class: "card agreement" + (a.all_parties ? " all" : ""), "data-id": a.id },
        el("p", { class: "card-parties", text: partiesLine(a) }),
        el("p", { class: "card-label", text: a.label }),
        el("ul", { class: "cites" }, a.evidence.map(citation)),
        a.fallback ? el("span", { class: "tag", text: t.console.fallback }) : null));
    });
    $("no-agreements").hidden = data.agreements.length > 0;
    $("agreement-count").textContent = data.agreements.length ? String(data.agreements.length) : "";
    const diffs = clear($("differences"));
    data.differences.forEach(function (d) {
      diffs.append(el("li", { class: "card difference", "data-id": d.id },
        el("p", { class: "card-label", text: d.label }),
        d.sides.map(function (side) {
          return el("div", { class: "side" },
            el("p", { class: "side-party", text: partyName(side.party) }),
            el("ul", { class: "cites" }, side.evidence.map(citation)));
        })));
    });
    $("no-differences").hidden = data.differences.length > 0;
  }

  const SIGNAL_ORDER = ["not_heard", "speaking_share", "us_them", "solution_talk", "questioning"];

  function showSignals(data) {
    if (!data) return;
    const box = clear($("signals"));
    const byKind = {};
    data.signals.forEach(function (s) { (byKind[s.kind] = byKind[s.kind] || []).push(s); });
    SIGNAL_ORDER.forEach(function (kind) {
      const items = byKind[kind];
      if (!items) return;
      const group = el("div", { class: "signal-group", "data-kind": kind },
        el("h3", { text: t.console.signal_kinds[kind] || kind }));
      if (kind === "speaking_share") {
        const bars = el("ul", { class: "shares" });
        items.forEach(function (s) {
          const pct = typeof s.share === "number" ? Math.min(100, s.share) : null;
          const bar = el("span", { class: "share-bar" }, el("span", { class: "fill" }));
          if (pct !== null) bar.firstChild.style.width = pct + "%";
          bars.append(el("li", { title: s.message },
            el("span", { class: "share-party", text: partyName(s.party) }), bar,
            el("span", { class: "share-pct", text: pct !== null ? fmt(t.console.share, { share: Math.round(pct) }) : "" })));
        });
        group.append(bars);
      } else {
        group.append(el("ul", { class: "signal-list" }, items.map(function (s) {
          return el("li", { "data-utterance": s.utterance_id || null, text: s.message });
        })));
      }
      box.append(group);
    });
    if (!box.firstChild) box.append(el("p", { class: "empty", text: t.console.no_signals }));
  }

  // ---- transcript -------------------------------------------------------------------
  // The transcript follows the newest line unless the note-taker scrolled up to read.
  const transcript = $("utterances");
  let pinned = true;
  transcript.addEventListener("scroll", function () {
    pinned = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 40;
  });
  function follow() { if (pinned) transcript.scrollTop = transcript.scrollHeight; }
  if (window.ResizeObserver) new ResizeObserver(follow).observe(transcript);

  function addUtterances(items) {
    const list = transcript;
    items.forEach(function (u) {
      if (seen.has(u.id)) return;
      seen.add(u.id);
      lastUtterance = u.id;
      list.append(el("li", { class: "utterance", "data-id": u.id, "data-party": u.party },
        el("p", { class: "u-who" }, el("strong", { text: personName(u.speaker) }), " ",
          el("span", { class: "u-party", text: partyName(u.party) }), el("span", { class: "ref", text: u.id })),
        el("p", { class: "u-text", text: u.text })));
    });
    $("no-utterances").hidden = seen.size > 0;
    $("utterance-count").textContent = seen.size ? String(seen.size) : "";
    follow();
  }

  let loadingUtterances = null;
  function loadNewUtterances() {
    // One page after another until the transcript is complete; one load at a time.
    if (loadingUtterances) return loadingUtterances;
    loadingUtterances = (async function () {
      for (;;) {
        const q = "?limit=500" + (lastUtterance ? "&after=" + encodeURIComponent(lastUtterance) : "");
        const page = await api("GET", "/utterances" + q);
        addUtterances(page);
        if (page.length < 500) break;
      }
    })().catch(fail).finally(function () { loadingUtterances = null; });
    return loadingUtterances;
  }

  const say = $("say");
  const sayText = $("say-text");
  say.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const text = sayText.value.trim();
    if (!text) return;
    const button = say.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const added = await api("POST", "/utterances", { speaker: $("speaker").value, text: text });
      addUtterances(added);
      sayText.value = "";
    } catch (err) { fail(err); } finally { button.disabled = false; sayText.focus(); }
  });
  sayText.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      say.requestSubmit();
    }
  });

  $("import").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const file = $("import-file").files[0];
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    try {
      const added = await api("POST", "/transcript", form);
      addUtterances(added);
      notice(fmt(t.console.imported, { count: added.length }));
      $("import-file").value = "";
      document.querySelector("details.import").open = false;
    } catch (err) { fail(err); }
  });

  // ---- frame, positions, synthesis ------------------------------------------------
  if (meeting.frame) $("frame-text").value = meeting.frame;
  $("frame-text").addEventListener("input", function () { frameTouched = true; });
  $("frame-form").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    try {
      const m = await api("PUT", "/frame", { text: $("frame-text").value });
      meeting.frame = m.frame;
      $("frame-state").textContent = t.console.frame_saved;
    } catch (err) { fail(err); }
  });

  async function loadPositions() {
    try {
      const positions = await api("GET", "/positions");
      $("positions-count").textContent = fmt(positionsLocked ? t.console.positions_locked : t.console.positions, { count: positions.length });
      $("lock").hidden = positionsLocked;
    } catch (err) { fail(err); }
  }
  $("lock").addEventListener("click", async function () {
    if (!window.confirm(t.console.lock_confirm)) return;
    try {
      const m = await api("POST", "/positions/lock");
      positionsLocked = m.positions_locked;
      loadPositions();
    } catch (err) { fail(err); }
  });

  $("regenerate").addEventListener("click", async function () {
    try {
      const report = await api("POST", "/synthesis");
      notice(fmt(t.console.regenerated, { items: report.items }));
    } catch (err) { fail(err); }
  });

  // ---- consult ------------------------------------------------------------------------
  $("consult").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    const q = $("consult-q").value.trim();
    if (!q) return;
    const box = clear($("consult-answer"));
    box.append(el("p", { class: "hint", text: t.common.saving }));
    try {
      const a = await api("POST", "/consult", { question: q });
      clear(box).append(el("p", { class: "q", text: q }), el("p", { class: "answer-text", text: a.answer }));
      if (a.evidence.length) box.append(el("ul", { class: "cites" }, a.evidence.map(citation)));
      if (a.fallback) box.append(el("span", { class: "tag", text: t.console.fallback }));
    } catch (err) { clear(box); fail(err); }
  });

  // ---- live -----------------------------------------------------------------------------
  function onUpdate(data) {
    if (data.step && data.step !== step) showStep(data.step);
    showSuggestions(data.suggestions);
    showAgreements(data.agreements);
    showSignals(data.signals);
    if (data.reason === "hello" || data.reason === "utterances" || data.polled) loadNewUtterances();
    if (data.reason === "positions" && (step === "start" || step === "frame")) loadPositions();
  }

  async function refresh() {
    const [suggestions, agreements, signals] = await Promise.all([
      api("GET", "/suggestions"), api("GET", "/agreements"), api("GET", "/signals"),
    ]);
    return { reason: "poll", polled: true, step: suggestions.step, suggestions: suggestions, agreements: agreements, signals: signals };
  }

  showStep(step);
  loadNewUtterances();
  window.RT.live(onUpdate, refresh);
})();
