// The room view: only the points of agreement, large, for a projector. Live like the console.
"use strict";

(function () {
  const { t, el, clear, $, api, partyName, personName } = window.RT;

  function show(agreements) {
    if (!agreements) return;
    const list = clear($("room-agreements"));
    agreements.agreements.forEach(function (a) {
      list.append(el("li", { class: "room-item" + (a.all_parties ? " all" : ""), "data-id": a.id },
        el("p", { class: "room-parties", text: a.all_parties ? t.room.all_parties : a.parties.map(partyName).join(" · ") }),
        el("p", { class: "room-label", text: a.label }),
        el("ul", { class: "room-quotes" }, a.evidence.map(function (e) {
          return el("li", {}, el("q", { text: e.quote }), el("span", { class: "room-by", text: personName(e.speaker) + ", " + partyName(e.party) }));
        }))));
    });
    $("room-empty").hidden = agreements.agreements.length > 0;
    document.body.classList.toggle("many", agreements.agreements.length > 3);
  }

  window.RT.live(function (data) { show(data.agreements); }, async function () {
    return { agreements: await api("GET", "/agreements") };
  });
})();
