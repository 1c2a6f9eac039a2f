# ruff: noqa: E501  (the labelled sentences stay one per line, so the set reads as a table)
"""Tests for the local value classifier (agent.values.classifier).

The labelled sentences below are our own organisational sentences in Dutch and English, written
for these tests and not taken from any eval scenario or from prompts/values.yaml. ORG_SENTENCES
are plain; HARD_SENTENCES carry actors, numbers and context words that do not decide the value.
Together they are the set the exemplar blend and the profile aggregation were chosen on, so the
numbers they give are optimistic for real meetings. The floors asserted here sit well below what
was measured, so the tests fail on a real regression, not on noise.
"""

from __future__ import annotations

import os
from importlib import resources

import numpy as np
import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")

from agent.prompts import load_yaml
from agent.values.classifier import (
    VALUE_IDS,
    ValueClassifier,
    ValueEvidence,
    exemplar_texts,
    get_classifier,
    macro_f1,
)

EXPECTED_IDS = (
    "self-direction-thought", "self-direction-action", "stimulation", "hedonism",
    "achievement", "power-dominance", "power-resources", "face", "security-personal",
    "security-societal", "tradition", "conformity-rules", "conformity-interpersonal",
    "humility", "benevolence-caring", "benevolence-dependability", "universalism-concern",
    "universalism-nature", "universalism-tolerance", "universalism-objectivity",
)  # fmt: skip

# fmt: off
ORG_SENTENCES: list[tuple[str, str, str]] = [
    # (language, sentence, expected value id)
    ("nl", "Ik wil dat docenten zelf mogen bedenken hoe ze de nieuwe methode invullen.", "self-direction-thought"),
    ("nl", "Een goed idee van de werkvloer moet een kans krijgen, ook als het ongebruikelijk is.", "self-direction-thought"),
    ("en", "People here should be encouraged to question the way we have always done things.", "self-direction-thought"),
    ("en", "I'd like the teams to come up with their own ideas instead of a plan from head office.", "self-direction-thought"),
    ("nl", "Wij willen als afdeling zelf over onze planning beslissen.", "self-direction-action"),
    ("nl", "Thuiswerken moet een keuze van de medewerker zelf blijven.", "self-direction-action"),
    ("en", "The schools should decide for themselves how to spend their share.", "self-direction-action"),
    ("en", "Nobody wants a manager looking over their shoulder all day.", "self-direction-action"),
    ("nl", "Laten we eens een proef doen met een heel nieuw soort rooster.", "stimulation"),
    ("en", "Our people get bored doing the same tasks year after year; they need new challenges.", "stimulation"),
    ("en", "I'd love to see us pilot something bold next year.", "stimulation"),
    ("nl", "De sfeer in de teamkamer moet weer gezellig worden.", "hedonism"),
    ("nl", "Het werk moet weer leuk worden, nu is het alleen maar rennen.", "hedonism"),
    ("en", "Staff should be able to enjoy a relaxed lunch and a good coffee.", "hedonism"),
    ("nl", "We moeten de examenresultaten flink verbeteren.", "achievement"),
    ("nl", "Ik wil dat onze opleiding landelijk tot de top behoort.", "achievement"),
    ("en", "Our goal is to deliver the project on time and to a high standard.", "achievement"),
    ("en", "We want every student to leave with a diploma they can be proud of.", "achievement"),
    ("nl", "De medezeggenschap moet vooraf meebeslissen, niet achteraf worden geïnformeerd.", "power-dominance"),
    ("en", "The directors must keep the final say over the budget.", "power-dominance"),
    ("en", "Our department wants more control over how the reorganisation is run.", "power-dominance"),
    ("nl", "Er moet gewoon meer geld naar onze afdeling.", "power-resources"),
    ("nl", "We moeten de inkomsten verhogen door meer cursussen te verkopen.", "power-resources"),
    ("en", "Every euro we spend has to be earned back somewhere.", "power-resources"),
    ("nl", "Als dit uitlekt, staan we als organisatie voor schut.", "face"),
    ("en", "Our good name with parents took years to build and we mustn't lose it.", "face"),
    ("en", "The teachers want their hard work to be recognised publicly.", "face"),
    ("nl", "Mensen moeten zeker weten dat ze volgend jaar nog een contract hebben.", "security-personal"),
    ("nl", "Het ziekteverzuim onder collega's baart mij grote zorgen.", "security-personal"),
    ("en", "Families need to be able to count on a steady income.", "security-personal"),
    ("en", "Staff need a predictable timetable so they can plan their lives.", "security-personal"),
    ("nl", "De organisatie moet financieel overeind blijven, ook als de subsidie wegvalt.", "security-societal"),
    ("nl", "De veiligheid in en rond het gebouw moet op orde zijn.", "security-societal"),
    ("en", "We need a solid reserve so that the organisation survives a bad year.", "security-societal"),
    ("en", "My priority is long-term stability for the whole institution.", "security-societal"),
    ("nl", "De kerstviering hoort al zestig jaar bij onze school.", "tradition"),
    ("nl", "Onze katholieke achtergrond mag niet verdwijnen in de fusie.", "tradition"),
    ("en", "We should honour the heritage this school was founded on.", "tradition"),
    ("nl", "Het besluit moet volgens de regels van de WOR tot stand komen.", "conformity-rules"),
    ("en", "Whatever we decide, it has to stay within the law and our own regulations.", "conformity-rules"),
    ("en", "People who break the agreed rules should face consequences.", "conformity-rules"),
    ("nl", "Ik vind dat we netjes en beleefd met elkaar moeten omgaan.", "conformity-interpersonal"),
    ("en", "It's rude to announce this by email without talking to the people involved first.", "conformity-interpersonal"),
    ("en", "We should show respect to the senior colleagues who built this department.", "conformity-interpersonal"),
    ("nl", "Wij hebben als bestuur ook niet alle wijsheid in pacht.", "humility"),
    ("nl", "Soms moet je accepteren dat iets niet in onze macht ligt.", "humility"),
    ("en", "We are a small player and should stay modest about our ambitions.", "humility"),
    ("nl", "Wij moeten onze collega's beschermen tegen overbelasting.", "benevolence-caring"),
    ("nl", "Ik wil dat niemand er alleen voor staat als het tegenzit.", "benevolence-caring"),
    ("en", "We must look after the wellbeing of the nurses on our ward.", "benevolence-caring"),
    ("en", "Our first concern is helping the staff who are struggling.", "benevolence-caring"),
    ("nl", "Beloftes aan de medewerkers moeten we ook echt nakomen.", "benevolence-dependability"),
    ("nl", "Ik wil dat het team op mij kan rekenen.", "benevolence-dependability"),
    ("en", "The board has to be a partner we can trust to keep its word.", "benevolence-dependability"),
    ("en", "Each of us is responsible for making this work.", "benevolence-dependability"),
    ("nl", "De lasten moeten eerlijk verdeeld worden over iedereen.", "universalism-concern"),
    ("nl", "Leerlingen uit arme gezinnen mogen geen achterstand oplopen.", "universalism-concern"),
    ("en", "It isn't fair that part-timers are left out of the training budget.", "universalism-concern"),
    ("en", "Every student deserves the same chances, whatever their parents earn.", "universalism-concern"),
    ("nl", "Het groen rond de school moeten we koesteren en beschermen.", "universalism-nature"),
    ("nl", "Zonnepanelen op het dak zouden onze CO2-uitstoot fors verlagen.", "universalism-nature"),
    ("en", "Our campus should become greener and use far less energy.", "universalism-nature"),
    ("en", "We must reduce our environmental footprint.", "universalism-nature"),
    ("nl", "We moeten openstaan voor collega's met een andere culturele achtergrond.", "universalism-tolerance"),
    ("nl", "Ook als je het oneens bent, moet je de ander proberen te begrijpen.", "universalism-tolerance"),
    ("en", "We need to welcome people who think differently from us.", "universalism-tolerance"),
    ("nl", "Voordat we kiezen wil ik de harde cijfers zien.", "universalism-objectivity"),
    ("en", "Let's base this on evidence rather than on who shouts loudest.", "universalism-objectivity"),
    ("en", "I want a neutral analysis of the options before we vote.", "universalism-objectivity"),
]

NEUTRAL_SENTENCES: list[tuple[str, str]] = [
    ("nl", "Welkom allemaal, fijn dat jullie er zijn."),
    ("nl", "Zullen we met het volgende agendapunt beginnen?"),
    ("nl", "Ik sluit me aan bij wat Petra net zei."),
    ("nl", "Kun je dat nog even herhalen?"),
    ("nl", "Dank je, dat is helder."),
    ("nl", "De notulen van vorige keer zijn rondgestuurd."),
    ("en", "Welcome everyone, thanks for coming."),
    ("en", "Shall we move on to the next item?"),
    ("en", "Could you say that again, please?"),
    ("en", "Thanks, that's clear."),
    ("en", "I agree with what Tom just said."),
    ("en", "The minutes from last time were sent around."),
]

# Harder, meeting-like sentences: actors, numbers and context words that do not carry the value.
HARD_SENTENCES: list[tuple[str, str, str]] = [
    ("nl", "Als ondernemingsraad willen we dat het team over drie jaar nog steeds bestaat en niet wegbezuinigd wordt.", "security-societal"),
    ("nl", "De raad van toezicht vraagt vooral om een meerjarenbegroting zonder tekorten.", "security-societal"),
    ("en", "The trustees want the budget to stay in the black for the next five years.", "security-societal"),
    ("en", "From the supervisory board's side, we need to avoid a deficit that threatens the organisation.", "security-societal"),
    ("nl", "Namens de OR: mijn collega's op de afdeling zijn uitgeput en dat moet echt anders.", "benevolence-caring"),
    ("nl", "Ik zie elke week docenten die het niet meer trekken, daar moeten we voor zorgen.", "benevolence-caring"),
    ("en", "As the staff council we see nurses going home exhausted, and someone has to look after them.", "benevolence-caring"),
    ("en", "What worries me is how our support staff are coping with all the extra work.", "benevolence-caring"),
    ("nl", "Studenten hebben een vast rooster nodig zodat ze hun bijbaan kunnen plannen.", "security-personal"),
    ("nl", "Medewerkers met een tijdelijk contract slapen slecht omdat ze niet weten of ze mogen blijven.", "security-personal"),
    ("en", "Parents need to know their child's timetable won't change every month.", "security-personal"),
    ("en", "Our tenants need certainty that their rent won't suddenly double.", "security-personal"),
    ("nl", "Het mag niet zo zijn dat alleen studenten met rijke ouders een stage in het buitenland kunnen doen.", "universalism-concern"),
    ("nl", "De wijken met de meeste armoede moeten ook de meeste hulp krijgen.", "universalism-concern"),
    ("en", "The students' union wants the hardship fund to reach everyone who needs it, not just those who ask loudest.", "universalism-concern"),
    ("en", "Why should the night shift get less training money than the day shift?", "universalism-concern"),
    ("nl", "Het bestuur moet het laatste woord houden over de verdeling van het geld.", "power-dominance"),
    ("nl", "Wij als OR willen niet alleen gehoord worden, we willen instemmingsrecht op dit plan.", "power-dominance"),
    ("en", "Heads of department want to be the ones who decide on hiring, not HR.", "power-dominance"),
    ("nl", "Teams in de wijk moeten zelf kunnen beslissen welke gezinnen ze eerst helpen.", "self-direction-action"),
    ("en", "The nurses want to plan their own shifts without a manager signing off every change.", "self-direction-action"),
    ("nl", "Laat de docenten zelf bepalen hoe ze de lesstof aanbieden.", "self-direction-action"),
    ("nl", "Onze eindexamencijfers liggen onder het landelijk gemiddelde en dat moet omhoog.", "achievement"),
    ("en", "The faculty wants to be in the top three for research output within four years.", "achievement"),
    ("nl", "Ik wil eerst een evaluatie van het vorige plan zien voordat we iets nieuws beginnen.", "universalism-objectivity"),
    ("en", "Before the council decides, we should look at what the data from the pilot actually shows.", "universalism-objectivity"),
    ("nl", "Het nieuwe pand moet gasloos zijn en we willen minder autoritten naar het werk.", "universalism-nature"),
    ("en", "The housing association should insulate every home so we burn less gas.", "universalism-nature"),
    ("nl", "Als we dit slecht regelen, komen we negatief in de lokale krant en dat raakt onze naam.", "face"),
    ("en", "The hospital's standing in the region depends on how we handle this.", "face"),
    ("nl", "Wat hier is afgesproken in de cao moeten we gewoon naleven, ook als het geld kost.", "conformity-rules"),
    ("en", "The regulator's requirements leave us no choice: the procedure has to be followed to the letter.", "conformity-rules"),
    ("nl", "De manier waarop het besluit per mail werd gedeeld, vond ik respectloos tegenover de teams.", "conformity-interpersonal"),
    ("en", "We owe the long-serving volunteers the courtesy of asking them first.", "conformity-interpersonal"),
    ("nl", "Onze stichting komt voort uit de protestantse traditie en dat moet in het koersplan terugkomen.", "tradition"),
    ("en", "The Friday assembly has been part of this school for decades and parents value it.", "tradition"),
    ("nl", "Als raad van toezicht hebben we ook niet alle antwoorden, dat geef ik eerlijk toe.", "humility"),
    ("en", "We need more income, for example by renting out the sports hall in the evenings.", "power-resources"),
    ("nl", "Het budget voor onze afdeling is al drie jaar niet gestegen, terwijl de kosten wel stijgen.", "power-resources"),
    ("nl", "Als de directie iets toezegt, moet de werkvloer erop kunnen vertrouwen dat het ook gebeurt.", "benevolence-dependability"),
    ("en", "Our team always covers for each other, and I expect the board to stand behind us the same way.", "benevolence-dependability"),
    ("nl", "We moeten ook luisteren naar de bewoners die het anders zien dan wij.", "universalism-tolerance"),
    ("en", "Staff from other cultures bring a different view, and we should make room for it.", "universalism-tolerance"),
    ("nl", "Ik zou graag zien dat we iets nieuws uitproberen in plaats van steeds hetzelfde plan.", "stimulation"),
    ("en", "People stay here because the work is fun and the atmosphere is good; let's not lose that.", "hedonism"),
    ("nl", "Geef de teams ruimte om met eigen ideeën te komen voor de nieuwe opleiding.", "self-direction-thought"),
]
# fmt: on


@pytest.fixture(scope="module")
def clf() -> ValueClassifier:
    return get_classifier()


@pytest.fixture(scope="module")
def org_scores(clf: ValueClassifier) -> np.ndarray:
    from agent.embeddings import get_embedder

    return clf.scores(get_embedder().passages([s for _, s, _ in ORG_SENTENCES]))


@pytest.fixture(scope="module")
def hard_scores(clf: ValueClassifier) -> np.ndarray:
    from agent.embeddings import get_embedder

    return clf.scores(get_embedder().passages([s for _, s, _ in HARD_SENTENCES]))


@pytest.fixture(scope="module")
def neutral_scores(clf: ValueClassifier) -> np.ndarray:
    from agent.embeddings import get_embedder

    return clf.scores(get_embedder().passages([s for _, s in NEUTRAL_SENTENCES]))


def _embed(texts: list[str]) -> np.ndarray:
    from agent.embeddings import get_embedder

    return get_embedder().passages(texts)


# ---- the shipped weights ------------------------------------------------------------------


def test_value_ids_in_design_order() -> None:
    assert VALUE_IDS == EXPECTED_IDS


def test_weights_load_with_expected_shapes(clf: ValueClassifier) -> None:
    assert clf.weights.shape == (384, 20)
    assert clf.bias.shape == (20,)
    assert clf.centroids.shape == (21, 384)
    for th in (clf.thresholds, clf.thresholds_head):
        assert th.shape == (20,)
        assert np.all((th > 0) & (th < 1))
    assert clf.input_format == "premise"
    assert clf.meta["prefix"] == "passage: "
    assert np.allclose(np.linalg.norm(clf.centroids, axis=1), 1.0, atol=1e-4)


def test_npz_is_small() -> None:
    ref = resources.files("agent").joinpath("data/values_head.npz")
    with resources.as_file(ref) as path:
        assert path.stat().st_size < 300_000


def test_npz_matches_current_exemplars(clf: ValueClassifier) -> None:
    # Editing prompts/values.yaml without rerunning evals/train_values.py leaves stale centroids.
    assert exemplar_texts()[2] == clf.meta["exemplars_sha256"]


def test_values_yaml_shape() -> None:
    data = load_yaml("values.yaml")
    assert tuple(data) == VALUE_IDS
    for vid, entry in data.items():
        for lang in ("nl", "en"):
            assert entry["label"][lang].strip(), vid
            assert entry["description"][lang].strip(), vid
            assert 4 <= len(entry["exemplars"][lang]) <= 8, (vid, lang)


# ---- scores and labels ----------------------------------------------------------------


def test_scores_shape_and_range(clf: ValueClassifier) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(7, 384)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    for blend in (True, False):
        s = clf.scores(x, blend=blend)
        assert s.shape == (7, 20)
        assert np.all((s >= 0) & (s <= 1))
    assert clf.scores(x[0]).shape == (1, 20)
    assert clf.scores(np.zeros((0, 384), dtype=np.float32)).shape == (0, 20)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We moeten de natuur en het klimaat beschermen.", "universalism-nature"),
        ("We must cut our carbon emissions and protect the environment.", "universalism-nature"),
        ("Iedereen moet gelijke kansen krijgen, ook kinderen uit arme gezinnen.",
         "universalism-concern"),
        ("It is unfair that the poorest families pay the most.", "universalism-concern"),
        ("Voor ons staat het welzijn van onze collega's voorop.", "benevolence-caring"),
        ("The board has to keep its promises to the staff.", "benevolence-dependability"),
        ("Eerst de feiten en cijfers, dan pas een besluit.", "universalism-objectivity"),
    ],
)  # fmt: skip
def test_clear_sentences_get_expected_value(clf: ValueClassifier, text: str, expected: str) -> None:
    vec = _embed([text])
    assert expected in clf.labels(vec)[0][:3]


def test_own_sentence_set_accuracy(org_scores: np.ndarray) -> None:
    gold = np.array([VALUE_IDS.index(v) for _, _, v in ORG_SENTENCES])
    ranks = np.argsort(-org_scores, axis=1)
    top1 = float(np.mean(ranks[:, 0] == gold))
    top3 = float(np.mean((ranks[:, :3] == gold[:, None]).any(axis=1)))
    langs = np.array([lang for lang, _, _ in ORG_SENTENCES])
    nl_top3 = float(np.mean((ranks[langs == "nl", :3] == gold[langs == "nl", None]).any(axis=1)))
    # Measured at build time: top-1 0.80, top-3 0.93.
    assert top1 >= 0.6
    assert top3 >= 0.8
    assert nl_top3 >= 0.75


def test_hard_sentence_set_accuracy(hard_scores: np.ndarray) -> None:
    gold = np.array([VALUE_IDS.index(v) for _, _, v in HARD_SENTENCES])
    ranks = np.argsort(-hard_scores, axis=1)
    # Measured at build time: top-1 0.70, top-3 0.85.
    assert float(np.mean(ranks[:, 0] == gold)) >= 0.55
    assert float(np.mean((ranks[:, :3] == gold[:, None]).any(axis=1))) >= 0.75


def test_procedural_talk_gets_no_labels(clf: ValueClassifier, neutral_scores: np.ndarray) -> None:
    flagged = (neutral_scores >= clf.thresholds).any(axis=1)
    assert flagged.sum() <= 2


# Taking a stance on what someone said, in our own words (not the procedural lines that
# evals/train_values.py trains on). The humility exemplars used to be mostly negations, and
# these lines then scored humility.
DISAGREEMENT_SENTENCES: list[str] = [
    "Daar ben ik het echt niet mee eens, Karin.",
    "Nee, dat denk ik niet.",
    "Dat is niet wat ik zei.",
    "Ik zie dat anders dan jij.",
    "I really don't agree with you there.",
    "No, I don't think that's right.",
    "That isn't what I said.",
    "I see that differently.",
]


def test_disagreement_is_not_a_value(clf: ValueClassifier) -> None:
    s = clf.scores(_embed(DISAGREEMENT_SENTENCES))
    labelled = (s >= clf.thresholds).any(axis=1)
    # Measured: 1 of 8 clears a threshold (universalism-objectivity); 5 of 8 before, as humility.
    assert labelled.sum() <= 2
    humility = VALUE_IDS.index("humility")
    assert not (s[:, humility] >= clf.thresholds[humility]).any()


def test_grouped_folds_keep_each_topic_in_one_fold() -> None:
    from evals.train_values import FOLDS, grouped_folds

    groups = [f"conclusion {i % 37}" for i in range(500)]
    folds = grouped_folds(groups)
    assert set(folds.tolist()) == set(range(FOLDS))
    for g in set(groups):
        assert len({int(f) for f, h in zip(folds, groups, strict=True) if h == g}) == 1
    assert np.array_equal(folds, grouped_folds(groups))  # deterministic


def test_labels_sorted_and_thresholded(clf: ValueClassifier) -> None:
    vecs = _embed(["Duurzaamheid en het klimaat zijn voor ons het belangrijkst."])
    s = clf.scores(vecs)[0]
    labels = clf.labels(vecs)[0]
    assert labels and labels[0] == "universalism-nature"
    for vid in labels:
        assert s[VALUE_IDS.index(vid)] >= clf.thresholds[VALUE_IDS.index(vid)]


def test_macro_f1_metric() -> None:
    gold = np.array([[1, 0], [0, 1], [1, 1]])
    assert macro_f1(gold, gold) == 1.0
    assert macro_f1(gold, np.zeros_like(gold)) == 0.0
    # Column 0: tp 2, fp 1, fn 0 -> 0.8; column 1: tp 1, fp 0, fn 1 -> 2/3.
    assert macro_f1(gold, np.array([[1, 0], [1, 0], [1, 1]])) == pytest.approx((0.8 + 2 / 3) / 2)


# ---- profile ----------------------------------------------------------------------------


def test_profile_empty_input(clf: ValueClassifier) -> None:
    assert clf.profile(np.zeros((0, 20), dtype=np.float32)) == []


def test_profile_synthetic_relative_cutoff(clf: ValueClassifier) -> None:
    th = clf.thresholds
    s = np.tile(th * 0.5, (5, 1))  # everything below threshold
    nature = VALUE_IDS.index("universalism-nature")
    caring = VALUE_IDS.index("benevolence-caring")
    rules = VALUE_IDS.index("conformity-rules")
    s[0, nature] = s[1, nature] = 0.9
    s[2, caring] = s[3, caring] = 0.8
    s[4, rules] = th[rules] + 0.01  # barely above: far below half of the strongest value
    prof = clf.profile(s, top_k=3)
    assert [e.value_id for e in prof] == ["universalism-nature", "benevolence-caring"]
    assert prof[0].sentence_indices == (0, 1)
    assert prof[1].sentence_indices == (2, 3)
    assert prof[0].strength > prof[1].strength
    assert clf.profile(s, top_k=1)[0].value_id == "universalism-nature"
    assert clf.profile(np.minimum(s, th * 0.99)) == []


def test_profile_real_participant(clf: ValueClassifier) -> None:
    sentences = [
        "Goedemorgen, fijn dat ik hier mag zijn.",
        "Wij willen dat de school overstapt op groene energie.",
        "De natuur rond ons terrein verdient bescherming.",
        "En we moeten ook zuinig zijn met water en grondstoffen.",
        "Dank je, dat was mijn punt.",
    ]
    scores = clf.scores(_embed(sentences))
    prof = clf.profile(scores, top_k=3)
    assert 1 <= len(prof) <= 3
    assert all(isinstance(e, ValueEvidence) for e in prof)
    assert prof[0].value_id == "universalism-nature"
    strengths = [e.strength for e in prof]
    assert strengths == sorted(strengths, reverse=True)
    for e in prof:
        j = VALUE_IDS.index(e.value_id)
        assert e.sentence_indices
        for i in e.sentence_indices:
            assert 0 <= i < len(sentences)
            assert scores[i, j] > clf.thresholds[j]
    assert 0 not in prof[0].sentence_indices and 4 not in prof[0].sentence_indices


def test_profile_of_only_procedural_talk_is_empty(
    clf: ValueClassifier, neutral_scores: np.ndarray
) -> None:
    assert clf.profile(neutral_scores[:6]) == []


@pytest.mark.parametrize(("which", "floor"), [("org", 0.7), ("hard", 0.65)])
def test_profile_simulated_participants_micro_f1(
    clf: ValueClassifier,
    org_scores: np.ndarray,
    hard_scores: np.ndarray,
    neutral_scores: np.ndarray,
    which: str,
    floor: float,
) -> None:
    """Participants built from 1-2 values (1-2 sentences each) plus 0-2 procedural lines."""
    sentences, scores = (
        (ORG_SENTENCES, org_scores) if which == "org" else (HARD_SENTENCES, hard_scores)
    )
    gold_idx = np.array([VALUE_IDS.index(v) for _, _, v in sentences])
    by_value = {j: np.flatnonzero(gold_idx == j) for j in set(gold_idx.tolist())}
    values = sorted(by_value)
    rng = np.random.default_rng(7)
    tp = fp = fn = 0
    for _ in range(300):
        chosen = rng.choice(values, rng.choice([1, 1, 2]), replace=False)
        rows = [
            scores[i]
            for v in chosen
            for i in rng.choice(
                by_value[v], size=min(len(by_value[v]), int(rng.integers(1, 3))), replace=False
            )
        ]
        rows += [neutral_scores[i] for i in rng.choice(len(NEUTRAL_SENTENCES), rng.integers(0, 3))]
        pred = {VALUE_IDS.index(e.value_id) for e in clf.profile(np.array(rows), top_k=3)}
        gold = {int(v) for v in chosen}
        tp, fp, fn = tp + len(pred & gold), fp + len(pred - gold), fn + len(gold - pred)
    micro = 2 * tp / (2 * tp + fp + fn)
    # Measured at build time: about 0.85 (org) and 0.80 (hard).
    assert micro >= floor
