"""Polarity: agreement vs disagreement, contrast, sarcasm, references, same_polarity.

The product's worst error is presenting a disagreement as an agreement, so most cases here
are disagreements dressed up as agreements.
"""

from __future__ import annotations

import pytest

from agent.analysis.polarity import (
    Cue,
    PolarityReading,
    Stance,
    disagreement_topic,
    read_polarity,
    responds_in_agreement,
    same_polarity,
)
from agent.errors import CallerError

# --------------------------------------------------------------------------- disagreement

DISAGREEMENTS = [
    ("nl", "Ik ben het daar niet mee eens."),
    ("nl", "Daar ben ik het eigenlijk niet mee eens."),
    ("nl", "Ik ben het er niet helemaal mee eens."),
    ("nl", "Ik ben het niet met je eens, Noor."),
    ("nl", "Ik ben het daar níet mee eens."),
    ("nl", "Daar ben ik het echt oneens mee."),
    ("nl", "Daar denk ik anders over."),
    ("nl", "Dat zie ik anders."),
    ("nl", "Dat klopt niet."),
    ("nl", "Dat klopt gewoon niet, de cijfers zeggen iets anders."),
    ("nl", "Onzin, dat hebben we nooit gezegd."),
    ("nl", "Dat is niet het punt."),
    ("nl", "Ik betwijfel of dat werkt."),
    ("nl", "Nee, dat gaat te ver."),
    ("nl", "Ik denk het niet."),
    ("nl", "Ik ben er niet van overtuigd."),
    ("nl", "Niemand is het daarmee eens."),
    ("nl", "Dat deel ik niet."),
    ("nl", "Die zorg deel ik niet helemaal."),
    ("nl", "Dat herken ik niet."),
    ("nl", "Ik ben het er maar gedeeltelijk mee eens."),
    ("en", "I don't agree."),
    ("en", "I don't think that's the problem."),
    ("en", "I can't agree with that."),
    ("en", "I'm not sure I agree."),
    ("en", "Not really."),
    ("en", "I'm not so sure."),
    ("en", "That's not true."),
    ("en", "I disagree."),
    ("en", "No way."),
    ("en", "No, that's not how it works here."),
    ("en", "That isn't the issue at all."),
    ("en", "Exactly the opposite, I think."),
    ("en", "I only partly agree."),
    ("en", "Nobody here agrees with that."),
    # Negated forms of the support / consent cues.
    ("nl", "Dat steun ik niet."),
    ("nl", "Dat onderschrijf ik niet."),
    ("nl", "Ik kan me daar niet in vinden."),
    ("nl", "Dat lijkt me geen goed idee."),
    ("nl", "Dat is jouw mening, niet die van de cliëntenraad."),
    ("en", "I wouldn't support that."),
    ("en", "Nobody would support that."),
    ("en", "That's just your opinion."),
    # A Dutch speaker in an English meeting, and the other way round.
    ("en", "Daar ben ik het niet mee eens."),
    ("nl", "I don't agree, sorry."),
]


@pytest.mark.parametrize(("language", "text"), DISAGREEMENTS)
def test_disagreements_are_never_agreement(language: str, text: str) -> None:
    reading = read_polarity(text, language)
    assert reading.stance is Stance.DISAGREE, reading
    assert reading.disagree_cues, reading
    assert not responds_in_agreement(text, language)


def test_negated_agreement_cue_is_one_disagree_cue_and_no_agree_cue() -> None:
    reading = read_polarity("Ik ben het daar eigenlijk niet mee eens.", "nl")
    assert reading.agree_cues == ()
    assert [c.kind for c in reading.disagree_cues] == ["disagree"]
    # The "niet" belongs to the cue, so it is no content negation.
    assert reading.negations == 0


def test_niet_eens_meaning_not_even_is_no_disagreement() -> None:
    # "niet eens" mid-clause means "not even"; it must not become a stance.
    reading = read_polarity("Ik heb het rapport niet eens gelezen.", "nl")
    assert reading.stance is Stance.NEUTRAL
    assert reading.negations == 1


# --------------------------------------------------------------------------- contrast


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("nl", "Ja, maar dat kost te veel."),
        ("nl", "Eens, maar de planning is te krap."),
        ("nl", "Eens dat het anders moet, maar niet op deze manier."),
        ("nl", "Klopt, alleen vergeten we de leerlingen."),
        ("en", "Yes, but the budget is tight."),
        ("en", "I agree, however the cost worries me."),
        ("en", "Sure, though I'd want to see the numbers first."),
        ("nl", "Zoals Noor zei, maar ik zie het toch anders."),
    ],
)
def test_contrast_takes_agreement_back(language: str, text: str) -> None:
    reading = read_polarity(text, language)
    assert reading.contrast, reading
    # A "ja, maar" without a disagreement of its own is a partial accept, never agreement.
    expected = Stance.DISAGREE if reading.disagree_cues else Stance.PARTIAL
    assert reading.stance is expected
    assert not responds_in_agreement(text, language)


def test_particle_maar_is_no_contrast() -> None:
    # "doe maar" / "laten we maar beginnen": the particle, not the conjunction.
    reading = read_polarity("Eens, laten we maar beginnen.", "nl")
    assert not reading.contrast
    assert reading.stance is Stance.AGREE


def test_concession_before_agreement_keeps_agreement() -> None:
    reading = read_polarity("Although it costs more, I agree.", "en")
    assert not reading.contrast
    assert reading.stance is Stance.AGREE


# A condition or an addition in a later sentence keeps the agreement; a contrast that opens
# a later sentence, or a contrast adverb or caveat anywhere after the agreement, takes it
# back. Conditions in the agreement's own sentence keep it too.

CONDITIONS_KEEP_AGREEMENT = [
    ("nl", "Eens, eerst verkennen en vandaag niets besluiten. Mits het ook echt verkennen is."),
    ("nl", "Daar sluit ik me bij aan. Alleen lukt dat niet zonder genoeg bevoegde docenten."),
    ("nl", "Klopt, alleen als het budget er ook echt is."),
    ("nl", "Eens, zolang het gemeten wordt."),
    ("nl", "Dat steun ik. En dus moeten de teams meepraten."),
    ("en", "Agreed. Provided that we review it after a year."),
    ("en", "I agree, as long as the nights stay safe."),
    ("en", "I agree. Plus we should ask the ward sisters."),
]


@pytest.mark.parametrize(("language", "text"), CONDITIONS_KEEP_AGREEMENT)
def test_condition_or_addition_keeps_agreement(language: str, text: str) -> None:
    reading = read_polarity(text, language)
    assert not reading.contrast, reading
    assert reading.stance is Stance.AGREE
    assert responds_in_agreement(text, language)


CONTRASTS_TAKE_BACK = [
    # In the agreement's own sentence.
    ("nl", "Ja, cijfers zijn belangrijk, maar achter elke opleiding zitten studenten."),
    ("en", "Yes, the figures matter, but I don't think that's the problem."),
    # Opening a later sentence.
    ("nl", "Eens. Maar dat lukt niet zonder extra geld."),
    ("nl", "Klopt. Alleen vergeten we de leerlingen."),
    ("nl", "Eens. Toch denk ik dat het te snel gaat."),
    ("nl", "Eens. En toch twijfel ik."),
    ("en", "I agree. But it won't work without more money."),
    ("en", "Agreed. Yet the numbers don't add up."),
    ("en", "Agreed. And yet I worry."),
    # A contrast adverb or a caveat anywhere after the agreement.
    ("nl", "Eens. Het is echter te duur."),
    ("nl", "Eens. Ik heb wel één kanttekening: het is duur."),
    ("en", "I agree. The cost, however, is too high."),
    ("en", "Agreed. It'll be hard to staff though."),
    # An exception is no condition: it carves something out.
    ("nl", "Eens, tenzij het meer kost."),
    ("en", "I agree, unless it costs more."),
    # "but only if" opens with "but".
    ("en", "Yes, but only if we keep the budget."),
]


@pytest.mark.parametrize(("language", "text"), CONTRASTS_TAKE_BACK)
def test_contrast_takes_agreement_back_across_sentences(language: str, text: str) -> None:
    reading = read_polarity(text, language)
    assert reading.contrast, reading
    expected = Stance.DISAGREE if reading.disagree_cues else Stance.PARTIAL
    assert reading.stance is expected
    assert not responds_in_agreement(text, language)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("nl", "Klopt. Dan is het geen extra taak meer, maar gewoon ons werk."),
        ("nl", "Terecht. Ze krijgen het concept, maar ik neem mee dat jullie eerder willen."),
        ("en", "Agreed. It's not about the money but about the nights."),
    ],
)
def test_contrast_inside_a_later_sentence_is_content(language: str, text: str) -> None:
    reading = read_polarity(text, language)
    assert not reading.contrast, reading
    assert reading.stance is Stance.AGREE


def test_agreement_right_after_a_contrast_takes_the_contrast_back() -> None:
    assert responds_in_agreement("It's expensive, but I do agree.", "en")
    assert responds_in_agreement("Ik heb het niet gezegd, maar ik ben het er wel mee eens.", "nl")
    # ...but not a negated one.
    assert read_polarity("Ja, maar ik ben het er niet mee eens.", "nl").stance is Stance.DISAGREE


# --------------------------------------------------------------------------- negations


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("nl", "Dat steun ik volledig. Niet weer een korting die van bovenaf wordt opgelegd."),
        ("nl", "Eens. Ik ben hier om te luisteren, niet om al iets te besluiten."),
        ("nl", "Ik ook. Vanuit de gemeente als geheel, niet vanuit mijn afdeling."),
        ("en", "Agreed. All our children, not just mine."),
        ("en", "I agree with Grace. The residents should be in the room, not just us."),
        ("en", "Fine by me. No decisions today, just listening."),
        ("en", "I agree with that. No saving is worth a ward that isn't safe."),
        ("nl", "Klopt helemaal. Niet weer een korting van bovenaf."),
    ],
)
def test_content_negation_later_in_the_turn_is_no_answer(language: str, text: str) -> None:
    reading = read_polarity(text, language)
    assert reading.disagree_cues == (), reading
    assert reading.stance is Stance.AGREE
    assert reading.negations >= 1
    assert responds_in_agreement(text, language)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("nl", "We redeneren vanuit de kinderen, niet vanuit de eigen afdeling."),
        ("nl", "Voor ons is zorg belangrijk. Niet iedereen heeft een auto."),
        ("en", "We think about all eight schools, not just our own."),
        ("en", "No decisions tonight suits me."),
    ],
)
def test_content_negation_in_a_statement_is_neutral(language: str, text: str) -> None:
    reading = read_polarity(text, language)
    assert reading.stance is Stance.NEUTRAL, reading
    assert reading.disagree_cues == ()


@pytest.mark.parametrize(
    ("language", "text"),
    [
        # A negation at the start of the turn answers what came before: the safe side.
        ("nl", "Niet weer een korting van bovenaf!"),
        ("nl", "Niet echt."),
        ("nl", "Nou, helemaal niet."),
        ("nl", "Ja, nee, dat gaat niet werken."),
        ("nl", "Dat hoor ik. Nee, dat denk ik niet."),
        ("en", "Not like that."),
        ("en", "No, it doesn't."),
        ("en", "No it isn't."),
        ("en", "Yeah. No, that won't work."),
        # Unpunctuated transcripts give no sign of a determiner: "no" stays an answer.
        ("en", "no total"),
        ("en", "uh no we grabbed most of it"),
        # A negation aimed at the proposal itself, also later in the turn.
        ("nl", "Eens dat het anders moet. Niet op deze manier."),
        ("en", "Agreed it matters. Not like this."),
    ],
)
def test_response_negations_still_disagree(language: str, text: str) -> None:
    reading = read_polarity(text, language)
    assert reading.stance is Stance.DISAGREE, reading
    assert not responds_in_agreement(text, language)


# --------------------------------------------------------------------------- questions


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("nl", "Klopt dat?"),
        ("nl", "Ik noteer ze allebei. Zijn we het eens over deze spelregels?"),
        ("en", "Do you agree?"),
        ("en", "Could we also agree that teams decide their own days?"),
    ],
)
def test_agree_cue_in_a_question_is_no_agreement(language: str, text: str) -> None:
    reading = read_polarity(text, language)
    assert reading.agree_cues == (), reading
    assert reading.stance is Stance.NEUTRAL
    assert not responds_in_agreement(text, language)


def test_agree_cue_in_a_question_still_makes_ja_maar() -> None:
    reading = read_polarity("Ja, maar wat kost dat dan?", "nl")
    assert reading.contrast
    assert reading.stance is Stance.PARTIAL


# --------------------------------------------------------------------------- sarcasm


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("nl", "Geweldig idee, nog meer vergaderingen."),
        ("nl", "Fantastisch, weer een reorganisatie."),
        ("nl", "Ja hoor, vast."),
        ("en", "Oh great, another reorganisation."),
        ("en", "Yeah right, as if that will ever happen."),
        ("en", "Wonderful, just what we need: more forms."),
        ("en", "Sure, whatever."),
        ("nl", "Goh, wat een verrassing, weer bezuinigen."),
        ("nl", "Ja hoor, nóg een nieuwe onderwijsvisie."),
        ("nl", "Mooi plan hoor. Dan mogen wij zeker ook nog de nieuwe mensen inwerken."),
        ("nl", "Ja, doei."),
    ],
)
def test_sarcasm_is_never_agreement(language: str, text: str) -> None:
    reading = read_polarity(text, language)
    assert reading.sarcasm, reading
    assert reading.stance is not Stance.AGREE
    assert not responds_in_agreement(text, language)


def test_plain_ja_hoor_and_yeah_right_without_irony_marker() -> None:
    # Without a marker of irony these are ordinary assent in transcripts.
    assert not read_polarity("Ja hoor, dat kan.", "nl").sarcasm
    assert not read_polarity("yeah right", "en").sarcasm
    # "dag" ends a sentence about every day, it says no goodbye.
    assert not read_polarity("Dat doen we in het sociaal domein elke dag.", "nl").sarcasm
    assert not read_polarity("Mag ik dan zeker ook nog iets zeggen?", "nl").sarcasm


def test_adverbs_that_look_like_agree_cues() -> None:
    # "Juist daarom", "Right now", "wat ik ook hoor": no agreement.
    assert read_polarity("Juist daarom wil ik het anders doen.", "nl").agree_cues == ()
    assert read_polarity("Right now the panel is asked afterwards.", "en").agree_cues == ()
    assert read_polarity("Wat ik ook belangrijk vind: zelf bepalen.", "nl").agree_cues == ()
    assert read_polarity("Daarom zie ik ook kansen.", "nl").agree_cues == ()


# --------------------------------------------------------------------------- agreement

AGREEMENTS = [
    ("nl", "Eens, eerst begrijpen voordat we besluiten."),
    ("nl", "Ja, daar ben ik het helemaal mee eens."),
    ("nl", "Dat deel ik."),
    ("nl", "Daar sluit ik me bij aan."),
    ("nl", "Precies, dat zien wij ook."),
    ("nl", "Ik ben het er niet mee oneens."),
    ("en", "Same here."),
    ("en", "That's exactly what we see too."),
    ("en", "I agree."),
    ("en", "Absolutely."),
    ("en", "I couldn't agree more."),
    ("en", "Building on what Karim said, the workload is the real issue."),
    # Support, consent and verdict phrasings.
    ("nl", "Dat steun ik volledig."),
    ("nl", "Daar kan ik me in vinden."),
    ("nl", "Ik kan me daar helemaal in vinden."),
    ("nl", "Helemaal mee eens."),
    ("nl", "Dat onderschrijf ik."),
    ("nl", "Dat zie ik ook zo."),
    ("nl", "Mee eens."),
    ("nl", "Klopt helemaal."),
    ("nl", "Precies wat ik bedoel."),
    ("nl", "Dat kan ik alleen maar bevestigen."),
    ("nl", "Van mij mag het."),
    ("nl", "Dat lijkt me precies goed."),
    ("nl", "Vanuit de inwoner denken vind ik goed."),
    ("nl", "Dat vind ik geen slecht idee."),
    ("nl", "Voor mij ook."),
    ("en", "I'm with Anna on this."),
    ("en", "I'd second that."),
    ("en", "Fully agree."),
    ("en", "Couldn't agree more."),
    ("en", "Completely agree, Claire."),
    ("en", "I'd support that."),
    ("en", "The board would support that too."),
    ("en", "I'd back Patricia on that."),
    ("en", "That works for me."),
    ("en", "That suits me."),
    ("en", "So do I."),
    ("en", "That's what we see on the wards every day."),
]


@pytest.mark.parametrize(("language", "text"), AGREEMENTS)
def test_clear_agreements(language: str, text: str) -> None:
    reading = read_polarity(text, language)
    assert reading.stance is Stance.AGREE, reading
    assert reading.disagree_cues == ()
    assert responds_in_agreement(text, language)


def test_agreement_with_a_negative_statement_stays_agreement() -> None:
    # Agreeing that something is *not* acceptable is still agreeing.
    reading = read_polarity("I agree, that's not acceptable for our staff.", "en")
    assert reading.stance is Stance.AGREE
    assert reading.negations == 1


def test_agreeing_with_a_negative_statement_in_dutch() -> None:
    # "Dat denk ik ook niet": "I don't think so either" sides with a negative statement.
    assert read_polarity("Dat denk ik ook niet.", "nl").stance is Stance.AGREE
    assert read_polarity("Dat denk ik niet.", "nl").stance is Stance.DISAGREE


def test_nee_precies_is_agreement() -> None:
    assert read_polarity("Nee, precies.", "nl").stance is Stance.AGREE
    assert read_polarity("No, I agree.", "en").stance is Stance.AGREE
    # ...but "yeah, no" is a no.
    assert read_polarity("Yeah, no, that won't work.", "en").stance is Stance.DISAGREE


def test_bare_no_confirms_a_negative_prior_only() -> None:
    negative = "We hebben daar niet genoeg tijd voor."
    assert read_polarity("Nee.", "nl", prior=negative).stance is Stance.AGREE
    assert read_polarity("Nee.", "nl").stance is Stance.DISAGREE
    assert read_polarity("Nee.", "nl", prior="We hebben genoeg tijd.").stance is Stance.DISAGREE
    # A question is answered, not confirmed; and "no" plus content may contradict.
    assert read_polarity("No.", "en", prior="Isn't it ready?").stance is Stance.DISAGREE
    assert (
        read_polarity("No, it works fine.", "en", prior="It doesn't work.").stance
        is Stance.DISAGREE
    )
    reading = read_polarity("Nee.", "nl", prior=negative)
    assert [c.kind for c in reading.agree_cues] == ["confirm"]
    assert reading.disagree_cues == ()


def test_affirmation_contradicting_a_negative_prior() -> None:
    reading = read_polarity("Dat kan wel.", "nl", prior="Dat kan niet binnen dit budget.")
    assert reading.stance is Stance.DISAGREE
    assert read_polarity("Dat kan wel.", "nl").stance is Stance.NEUTRAL
    assert read_polarity("Yes it is.", "en", prior="It isn't ready.").stance is Stance.DISAGREE


@pytest.mark.parametrize(
    ("language", "prior"),
    [
        # A question may open with "but"/"maar" or restart its verb; a bare "no" answers it.
        ("en", "but don't you need it"),
        ("en", "are are people not allowed"),
        # An inverted negative auxiliary asks wherever it stands.
        ("en", "we can can't you see it"),
        ("nl", "maar heb je daar dan geen tijd voor"),
        ("nl", "is is dat niet genoeg"),
    ],
)
def test_bare_no_answers_a_negative_question_it_does_not_confirm(language: str, prior: str) -> None:
    no = "no" if language == "en" else "nee"
    assert read_polarity(no, language, prior=prior).stance is Stance.DISAGREE


def test_negative_statements_still_take_a_confirming_no() -> None:
    # The counterparts of the questions above: statements, so "no" confirms them. Dutch
    # inverts after a fronted adverb in a statement too ("dan kun je niet ...").
    assert read_polarity("no", "en", prior="but we don't need that one").stance is Stance.AGREE
    assert read_polarity("nee", "nl", prior="dan kun je niet verder").stance is Stance.AGREE


@pytest.mark.parametrize(
    ("language", "prior", "text"),
    [
        ("en", "No.", "Yes."),
        ("en", "uh no no", "yes"),
        ("nl", "Nee.", "Ja."),
        ("nl", "uh nee", "ja"),
    ],
)
def test_bare_yes_to_a_bare_no_contradicts_it(language: str, prior: str, text: str) -> None:
    reading = read_polarity(text, language, prior=prior)
    assert reading.stance is Stance.DISAGREE
    assert reading.agree_cues == ()
    assert [c.kind for c in reading.disagree_cues] == ["disagree"]
    # Without the "no" before it, the same word agrees.
    assert read_polarity(text, language).stance is Stance.AGREE


@pytest.mark.parametrize(
    ("language", "prior", "text"),
    [
        # After a negative statement "yes" often agrees with it.
        ("en", "They're not mutually exclusive.", "Yes."),
        ("nl", "Dat is niet nodig.", "Ja."),
        # "yeah"/"okay" after a "no" as often acknowledge it.
        ("en", "No.", "Yeah."),
        ("nl", "Nee.", "Oké."),
        # Content after the "yes" is read as it stands.
        ("en", "No.", "Yes, I agree."),
    ],
)
def test_yes_that_does_not_contradict_a_bare_no(language: str, prior: str, text: str) -> None:
    assert read_polarity(text, language, prior=prior).stance is Stance.AGREE


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "A part of it."),
        ("en", "uh partly"),
        ("en", "Some of them."),
        ("nl", "Een deel ervan."),
        ("nl", "Gedeeltelijk."),
        ("nl", "Sommige daarvan wel."),
    ],
)
def test_cutting_a_claim_down_to_a_part_is_no_agreement(language: str, text: str) -> None:
    reading = read_polarity(text, language)
    assert reading.stance is Stance.DISAGREE
    assert [c.kind for c in reading.disagree_cues] == ["objection"]


@pytest.mark.parametrize(
    ("language", "text", "stance"),
    [
        # A statement that opens with a quantifier is content, not a restriction.
        ("en", "Some of them can't pay the fee.", Stance.NEUTRAL),
        ("nl", "Een deel van de ouders betaalt al.", Stance.NEUTRAL),
        # A later agreement takes the restriction back.
        ("en", "Partly, but you're right.", Stance.AGREE),
        ("nl", "Deels, maar je hebt gelijk.", Stance.AGREE),
        # A hedge is no restriction.
        ("en", "Sort of.", Stance.NEUTRAL),
        ("nl", "Min of meer.", Stance.NEUTRAL),
    ],
)
def test_restriction_lookalikes(language: str, text: str, stance: Stance) -> None:
    assert read_polarity(text, language).stance is stance


# --------------------------------------------------------------------------- references


def test_reference_cue_zoals_noor_zei() -> None:
    text = "Zoals Noor zei, de werkdruk is te hoog."
    reading = read_polarity(text, "nl")
    assert reading.stance is Stance.AGREE
    (cue,) = reading.agree_cues
    assert cue.kind == "reference"
    assert text[cue.start : cue.end] == cue.text == "Zoals Noor zei"


def test_reference_cue_english_and_self_reference() -> None:
    reading = read_polarity("As Anna said, quality comes first.", "en")
    assert [c.kind for c in reading.agree_cues] == ["reference"]
    # "zoals ik al zei" quotes yourself: not a reference to someone else.
    assert read_polarity("Zoals ik al zei, de werkdruk is te hoog.", "nl").agree_cues == ()


@pytest.mark.parametrize(
    ("language", "text"),
    [
        # A thinking verb or pronoun is no name: "think that's right" is no "X's right".
        ("en", "I don't think that's right."),
        ("en", "I don't think he is right."),
        ("en", "I doubt Anna's right."),
        ("en", "I have a problem with what Anna said."),
        ("nl", "Ik heb moeite met wat Noor zei."),
    ],
)
def test_reference_lookalikes_in_a_disagreement(language: str, text: str) -> None:
    reading = read_polarity(text, language)
    assert reading.stance is Stance.DISAGREE, reading
    assert not responds_in_agreement(text, language)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "I'm worried about what Anna said."),
        ("nl", "Ik schrok van wat Noor zei."),
    ],
)
def test_what_someone_said_is_no_endorsement_by_itself(language: str, text: str) -> None:
    assert read_polarity(text, language).agree_cues == ()
    assert read_polarity("Exactly what Rajesh says.", "en").stance is Stance.AGREE
    assert read_polarity("Precies wat Noor zei.", "nl").stance is Stance.AGREE


def test_doubting_ones_own_words_is_no_disagreement() -> None:
    text = "Yes, I don't think I said it, but I do agree."
    assert responds_in_agreement(text, "en")
    assert read_polarity("I don't think we can afford it.", "en").stance is Stance.DISAGREE


def test_contrasting_reference_is_disagreement() -> None:
    reading = read_polarity("In tegenstelling tot wat Noor zei, werkt dit wel.", "nl")
    assert reading.stance is Stance.DISAGREE
    assert not any(c.kind == "reference" for c in reading.agree_cues)


# --------------------------------------------------------------------------- spans


def test_cue_spans_point_at_the_original_text() -> None:
    # Accents, extra spaces and a curly apostrophe must not shift the spans.
    text = "Tja…  ik ben het   daar  níet mee eens. Zoals Anouk zei: geen budget."
    reading = read_polarity(text, "nl")
    for cue in reading.agree_cues + reading.disagree_cues:
        assert text[cue.start : cue.end] == cue.text
    (disagree,) = reading.disagree_cues
    assert disagree.text == "ben het   daar  níet mee eens"
    (reference,) = reading.agree_cues
    assert reference.text == "Zoals Anouk zei"

    english = "Well… I don’t agree."
    (cue,) = read_polarity(english, "en").disagree_cues
    assert cue == Cue("disagree", 6, 19, "I don’t agree")


def test_reading_is_frozen() -> None:
    reading = read_polarity("Eens.", "nl")
    assert isinstance(reading, PolarityReading)
    with pytest.raises(AttributeError):
        reading.stance = Stance.DISAGREE  # type: ignore[misc]


def test_unknown_language_is_refused() -> None:
    with pytest.raises(CallerError):
        read_polarity("Ja.", "de")


# --------------------------------------------------------------------------- same_polarity

OPPOSITE = [
    ("en", "Remote work should be the default.", "Remote work should not be the default."),
    ("en", "Schools must always publish their results.", "Schools must never publish results."),
    ("en", "We should hire more teachers.", "We should hire fewer teachers."),
    ("en", "The city should increase parking fees.", "The city should decrease parking fees."),
    ("en", "I am for a four-day week.", "I am against a four-day week."),
    ("en", "Cycling is safer than driving.", "Driving is safer than cycling."),
    ("en", "There are good reasons to merge.", "There are NO good reasons to merge."),
    ("nl", "Stemmen moet verplicht worden.", "Stemmen moet niet verplicht worden."),
    ("nl", "Het budget moet wel omhoog.", "Het budget moet niet omhoog."),
    ("nl", "We moeten de tarieven verhogen.", "We moeten de tarieven verlagen."),
    ("nl", "Ik ben voor het nieuwe rooster.", "Ik ben tegen het nieuwe rooster."),
    ("nl", "We moeten meer overleggen.", "We moeten minder overleggen."),
    ("nl", "Ouders zijn altijd welkom.", "Ouders zijn nooit welkom."),
    ("nl", "Ik ben het eens met de begroting.", "Ik ben het niet eens met de begroting."),
]


@pytest.mark.parametrize(("language", "a", "b"), OPPOSITE)
def test_same_polarity_false_for_opposites(language: str, a: str, b: str) -> None:
    assert not same_polarity(a, b, language)
    assert not same_polarity(b, a, language)


SAME = [
    ("en", "Remote work should be the default.", "Working remotely should be our default."),
    ("en", "We should not cut the library budget.", "The library budget must not be cut."),
    ("en", "I don't think it is not worth it.", "It is worth it."),
    ("nl", "De werkdruk is te hoog.", "Ook bij ons is de werkdruk te hoog."),
    ("nl", "We willen geen extra vergaderingen.", "Extra vergaderingen willen we niet."),
]


@pytest.mark.parametrize(("language", "a", "b"), SAME)
def test_same_polarity_true_for_paraphrases(language: str, a: str, b: str) -> None:
    assert same_polarity(a, b, language)


def test_negating_prefix_flips_polarity() -> None:
    assert not same_polarity("The new rota is fair.", "The new rota is unfair.", "en")
    assert not same_polarity("Dat is eerlijk verdeeld.", "Dat is oneerlijk verdeeld.", "nl")


def test_competing_fillers_of_a_choice_frame_are_not_one_position() -> None:
    # Look-alikes that compete for the same priority: the classic agreement trap.
    assert not same_polarity(
        "We should spend more on teachers.", "We should spend more on buildings.", "en"
    )
    assert not same_polarity(
        "Het is beter om eerst de ouders te horen.",
        "Het is beter om eerst de leerlingen te horen.",
        "nl",
    )
    # Without a comparative or priority both can be true at once.
    assert same_polarity(
        "De werkdruk voor docenten is te hoog.", "De werkdruk voor ondersteuners is te hoog.", "nl"
    )


def test_negated_conjuncts_are_the_opposite() -> None:
    assert not same_polarity(
        "We should merge the teams and close the annex.",
        "We should NOT merge the teams and should NOT close the annex.",
        "en",
    )


def test_habermas_style_affirming_negating_pair() -> None:
    affirming = "Local councils should fund public libraries."
    negating = "Local councils should NOT fund public libraries."
    assert not same_polarity(affirming, negating, "en")
    assert same_polarity(affirming, affirming, "en")


@pytest.mark.parametrize(
    ("text", "language", "topic"),
    [
        ("Over Tiel zijn we het nog niet eens.", "nl", "Tiel"),
        ("We zijn het nog niet eens over de roosters.", "nl", "de roosters"),
        ("On Tiel we still disagree.", "en", "Tiel"),
        ("We don't agree on the rosters yet.", "en", "the rosters yet"),
        # Pointing back, or a rejection besides the report: an answer to the last speaker.
        ("Daarover zijn we het niet eens.", "nl", None),
        ("Over dat punt zijn we het niet eens.", "nl", None),
        ("Nee. Over Tiel zijn we het nog niet eens.", "nl", None),
        ("We don't agree on that.", "en", None),
        ("I don't agree with the budget.", "en", None),
        ("We agree on Tiel.", "en", None),
    ],
)
def test_a_report_of_an_open_subject_names_it(text: str, language: str, topic: str | None) -> None:
    assert disagreement_topic(text, language) == topic
