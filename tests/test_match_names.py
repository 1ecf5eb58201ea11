"""Name analysis and pair scoring, one variant class at a time, on names as the lists write them.

Every listed name below is copied from a real list entry (the id says which); the query sides
are the variants the issue names (romanisation systems, scripts, order, joined/split words,
missing patronymics, initials, titles, typos, legal forms, numbers). Each class has its
non-matches too: a different surname, a different father, a sister company, a sister ship.
"""

from __future__ import annotations

import pytest

from listguard.matching import DEFAULT_THRESHOLD, compare_names, compare_names_explained
from listguard.names.phonetic import broad_key, fold_key, loose_key, skeleton
from listguard.names.tokens import INITIAL, NAME, NUMBER, PARTICLE, analyse_name
from listguard.names.translit import ABJAD, HANGUL, romanise

TH = DEFAULT_THRESHOLD


def match(schema: str | None, query: str, listed: str) -> bool:
    return compare_names(schema, query, listed) >= TH


# ---------------------------------------------------------------------------- building blocks
def test_romanise_scripts() -> None:
    assert romanise("путин") == (("putin",), 0)
    assert romanise("김정은")[0] == ("gim", "jeong", "eun")  # one piece per syllable
    assert romanise("김정은")[1] == HANGUL
    pieces, script = romanise("محمد")
    assert script == ABJAD and pieces == ("mhmd",)  # an abjad: no short vowels
    assert romanise("ពត")[0] == ("pot",)  # Khmer: own table, ICU has none
    assert romanise("vladimirovič")[0] == ("vladimirovich",)  # č keeps its sound


@pytest.mark.parametrize(
    "a,b",
    [
        ("jong", "jeong"),  # Korean MR / RR
        ("hyok", "hyeok"),
        ("hyok", "hek"),
        ("song", "seong"),
        ("sergei", "sergey"),  # Russian
        ("dmitrii", "dmitry"),
        ("dmitriy", "dmitry"),
        ("mohammed", "muhammad"),  # Arabic
        ("mohammed", "mohamad"),
        ("rohani", "rouhani"),
        ("wladimir", "vladimir"),
    ],
)
def test_romanisation_key_folds_systems(a: str, b: str) -> None:
    assert fold_key(a) == fold_key(b)


def test_romanisation_key_keeps_different_names_apart() -> None:
    assert fold_key("mahmoud") != fold_key("mohammed")  # one syllable fewer
    assert fold_key("sergei") != fold_key("sergeev")
    assert loose_key("kim") == loose_key("gim") and loose_key("chong") == loose_key("jong")
    assert skeleton("mhmd") == skeleton("mohammed")  # what an Arabic spelling is compared on
    assert broad_key("beulladimireu", "hangul") == broad_key("vladimir")  # 블라디미르


def test_tokens_are_typed() -> None:
    form = analyse_name("Shaikh Isa Bin Tarif Al Bin Ali", "PER")
    kinds = {t.text: t.kind for t in form.tokens}
    assert kinds["bin"] == PARTICLE and kinds["al"] == PARTICLE and kinds["tarif"] == NAME
    assert analyse_name("N. Nazarbayev", "PER").tokens[0].kind == INITIAL
    # titles and forms of address go (rigour's person-name prefixes and common abbreviations)
    assert [t.text for t in analyse_name("President Putin", "PER").tokens] == ["putin"]
    assert [t.text for t in analyse_name("Dr. Ayman al-Zawahiri", "PER").tokens if t.kind != PARTICLE] == ["ayman", "zawahiri"]
    # ... but a title that is also a given name stays when dropping it would leave one word
    assert [t.text for t in analyse_name("Prince Okafor", "PER").tokens] == ["prince", "okafor"]
    assert [t.text for t in analyse_name("Prince Abdul Aziz", "PER").tokens] == ["abdul", "aziz"]
    # legal forms are set aside and classed: OOO, LLC and Limited Liability Company are one
    for name in ("OOO VOLGA GROUP", "VOLGA GROUP LLC", "VOLGA GROUP LIMITED LIABILITY COMPANY"):
        form = analyse_name(name, "ORG")
        assert [t.text for t in form.tokens] == ["volga", "group"], name
        assert form.legal_classes == frozenset({"llc"}), name
    # ... but a Chinese surname that spells a legal form is a name in a person's name
    assert sorted(t.text for t in analyse_name("PAO, Hua Chiang", "PER").tokens) == ["chiang", "hua", "pao"]
    # numbers in any spelling
    nums = [t.num for t in analyse_name("Blackstone Real Estate Partners VI L.P.", "ORG").tokens if t.kind == NUMBER]
    assert nums == [6]
    assert [t.num for t in analyse_name("3rd Percenters", "ORG").tokens if t.kind == NUMBER] == [3]
    assert [t.num for t in analyse_name("Third Percenters", "ORG").tokens if t.kind == NUMBER] == [3]


# ------------------------------------------------------------------------ variant classes
@pytest.mark.parametrize(
    "query,listed",
    [
        # us_ofac_sdn:24979 JONG, Song Hwa: McCune-Reischauer vs Revised Romanisation, hyphen
        ("Chong Song-hwa", "JONG, Song Hwa"),
        ("Jeong Songhwa", "JONG, Song Hwa"),
        ("Song Hwa Jong", "JONG, Song Hwa"),
        # us_ofac_sdn:22326 RI, Song-hyok
        ("Ri Song Hyeok", "RI, Song-hyok"),
        ("Lee Songhyok", "RI, Song-hyok"),
        # us_ofac_sdn:9760 LUKASHENKO, Aleksandr Grigorevich (alias)
        ("Alexander Lukashenko", "LUKASHENKO, Aleksandr Grigorevich"),
        ("Aleksandr Grigoryevich Lukashenko", "LUKASHENKO, Aleksandr Grigorevich"),
        # us_ofac_sdn:29585 KARASAVIDI, Dmitrii
        ("Dmitry Karasavidi", "KARASAVIDI, Dmitrii"),
        # us_ofac_sdn:6365 BIN LADIN, Usama bin Muhammad bin Awad
        ("Osama bin Laden", "BIN LADIN, Usama bin Muhammad bin Awad"),
        ("Usama ibn Ladin", "BIN LADIN, Usama bin Muhammad bin Awad"),
        # us_ofac_sdn:10897 ABD AL-KHALIQ, Adil Muhammad Mahmud
        ("Adil Mohammed Mahmud Abdul Khaliq", "ABD AL-KHALIQ, Adil Muhammad Mahmud"),
        ("Adel Muhammad Mahmud Abdulkhaliq", "ABD AL-KHALIQ, Adil Muhammad Mahmud"),
    ],
)
def test_romanisation_variants_match(query: str, listed: str) -> None:
    assert match("Person", query, listed), compare_names_explained("Person", query, listed)[1].summary


@pytest.mark.parametrize(
    "query,listed",
    [
        ("Владимир Путин", "PUTIN, Vladimir Vladimirovich"),  # us_ofac_sdn:35096
        ("Путин Владимир Владимирович", "PUTIN, Vladimir Vladimirovich"),
        ("Βλαντίμιρ Πούτιν", "PUTIN, Vladimir Vladimirovich"),
        ("Վլադիմիր Պուտին", "PUTIN, Vladimir Vladimirovich"),
        ("블라디미르 푸틴", "PUTIN, Vladimir Vladimirovich"),
        ("김정은", "KIM, Jong Un"),  # us_ofac_sdn:20157
        ("김영철", "KIM, Yong Chol"),  # us_ofac_sdn: 영 is yeong (RR) or yong (MR), 철 cheol or chol
        ("张伟", "ZHANG, Wei"),  # us_ofac_sdn:45391
        ("محمد حسن أخوند", "MOHAMMAD HASSAN AKHUND"),  # au_dfat_sanctions:2 lists both
        ("صدام حسين التكريتي", "SADDAM HUSSEIN AL-TIKRITI"),  # un_sc_sanctions:IQi.001 lists both
        ("سميرة الشاهبندر", "SAMIRA SHAHBANDAR"),  # un_sc_sanctions:IQi.060 lists both
        ("ប៉ុល ពត", "Pol Pot"),
    ],
)
def test_other_scripts_match(query: str, listed: str) -> None:
    assert match("Person", query, listed), compare_names_explained("Person", query, listed)[1].summary


@pytest.mark.parametrize(
    "query,listed",
    [
        ("김영호", "KIM, Yong Chol"),  # one syllable differs (호 ho): another person
        ("주서영", "JO, Chol Song"),  # 주 (ju) is not 조 (jo), 서영 not 철성
        ("陈俊", "CHUN, Jun"),  # chen is not chun
        ("حسن", "HUSSEIN"),  # حسن (Hasan) writes no ya: not حسين (Husayn)
    ],
)
def test_other_scripts_keep_different_names_apart(query: str, listed: str) -> None:
    assert not match("Person", query, listed), compare_names_explained("Person", query, listed)[1].summary


def test_name_order_missing_patronymic_initials_titles() -> None:
    listed = "PUTIN, Vladimir Vladimirovich"  # us_ofac_sdn:35096
    assert compare_names("Person", "Vladimir Putin", "PUTIN, Vladimir") == 1.0  # its alias
    assert match("Person", "Vladimir Putin", listed)  # patronymic missing
    assert match("Person", "Putin Vladimir", listed)  # family name first
    assert match("Person", "V. V. Putin", listed)  # initials
    assert match("Person", "Mr. Vladimir Putin", listed)  # title
    # an initial that does not fit is a conflict, not a missing part
    assert compare_names("Person", "A. Putin", listed) < compare_names("Person", "V. Putin", listed)


def test_typos() -> None:
    listed = "SECHIN, Igor Ivanovich"  # us_ofac_sdn:16692
    for query in ("Igor Sechn", "Igor Sehcin", "Ig0r Sech1n", "Igor Setchin"):
        assert match("Person", query, listed), query


@pytest.mark.parametrize(
    "query,listed",
    [
        ("SECHIN, Ivan Igorevich", "SECHIN, Igor Ivanovich"),  # father and son, both listed
        ("Igor Ivanovich Sorokin", "SECHIN, Igor Ivanovich"),  # a different surname
        ("Viktor Lukashenko", "LUKASHENKO, Aleksandr Grigorevich"),  # a different given name
        ("Abdullah bin Omar", "Omar bin Abdullah"),  # father and son in a nasab chain
        ("Mahmoud Hassan Akhund", "MOHAMMAD HASSAN AKHUND"),
    ],
)
def test_different_people_do_not_match(query: str, listed: str) -> None:
    assert not match("Person", query, listed), compare_names_explained("Person", query, listed)[1].summary


def test_common_tokens_weigh_less() -> None:
    # one common given name shared is worth less than one rare surname shared
    shared_common = compare_names("Person", "Mohammed Karimov", "Mohammed Rahimzai")
    shared_rare = compare_names("Person", "Sergei Nazarbayev", "Aibek Nazarbayev")
    assert shared_common < shared_rare


# ----------------------------------------------------------------------------- organisations
@pytest.mark.parametrize(
    "query,listed",
    [
        ("Volga Group LLC", "OOO VOLGA GROUP"),  # us_ofac_sdn:16806
        ("Limited Liability Company Volga Group", "OOO VOLGA GROUP"),
        ("Sberbank Capital LLC", "LIMITED LIABILITY COMPANY SBERBANK CAPITAL"),  # us_ofac_sdn:18669
        ("Havin Bank Ltd", "HAVIN BANK LIMITED"),  # us_ofac_sdn:906
        ("Hebei Atun Trading Company Limited", "HEBEI ATUN TRADING CO., LTD."),  # us_ofac_sdn:32313
        ("Korea Daesong Bank", "KOREA DAESONG BANK"),
        ("Open Joint Stock Company Gazprom", "OAO Gazprom"),
    ],
)
def test_legal_forms_and_their_translations(query: str, listed: str) -> None:
    assert match("Company", query, listed), compare_names_explained("Company", query, listed)[1].summary


def test_sister_companies_and_legal_form_conflicts() -> None:
    # us_ofac_sdn:18286 / 18287: two listed sister companies
    assert not match("Company", "OOO VEB KAPITAL", "OOO VEB INZHINIRING")
    # same words, a different legal form: a different legal person
    assert not match("Company", "Volga Group JSC", "OOO VOLGA GROUP")
    assert compare_names("Company", "Volga Group JSC", "OOO VOLGA GROUP") < compare_names(
        "Company", "Volga Group LLC", "OOO VOLGA GROUP"
    )


def test_numbers() -> None:
    # us_ofac_sdn:19582 SOUTH HILL 2 and 19584 SOUTH HILL 5 are sister ships
    assert not match("Vessel", "SOUTH HILL 5", "SOUTH HILL 2")
    assert not match("Vessel", "RA NAM 3", "RA NAM 2")
    assert match("Vessel", "MV South Hill 2", "SOUTH HILL 2")
    assert match("Vessel", "South Hill No. 2", "SOUTH HILL 2")
    assert match("Organization", "First International Bank", "1st International Bank")
    assert match("Organization", "Three Percenters", "3 Percenters")
    _score, expl = compare_names_explained("Vessel", "SOUTH HILL 5", "SOUTH HILL 2")
    assert expl.name is not None and any("different numbers" in n for n in expl.name.notes)


def test_acronyms_and_joined_words() -> None:
    assert match("Organization", "PLA", "People's Liberation Army")
    assert match("Organization", "SOUTH FRONT", "SOUTHFRONT")  # us_ofac_sdn:31212
    assert match("Company", "Hidden Cobra", "HIDDEN COBRA")


# ----------------------------------------------------------------------------- explanation
def test_explanation_names_the_alignment() -> None:
    score, expl = compare_names_explained("Person", "Chong Song-hwa", "JONG, Song Hwa")
    assert score >= TH
    assert expl.name is not None
    hows = {(a.query, a.matched): a.how for a in expl.name.alignment}
    assert hows[("chong", "jong")] in ("variant", "romanisation")
    assert hows[("song", "song")] == "exact"
    assert "chong~jong" in expl.summary
    data = expl.to_dict()
    assert data["name"]["alignment"][0].keys() == {"query", "matched", "score", "how"}


def test_compare_names_contract() -> None:
    assert compare_names(None, "", "Putin") == 0.0
    s = compare_names("LegalEntity", "Nils Trosterich", "Niels Oscar TROOST")
    assert 0.0 <= s <= 1.0 and round(s, 3) == s
    assert compare_names("Person", "John Smith", "Smith, John") == 1.0


def test_markup_invisible_characters_and_look_alike_letters_do_not_hide_a_name() -> None:
    # independent instances of each kind of junk, not one example: tags, script elements,
    # entities, zero-width and soft hyphens, control characters, Cyrillic and Greek look-alikes
    listed = "Eric Badege"
    for query in (
        "Eric <script>alert(2)</script> Badege",
        "<b>Eric</b> <i>Badege</i>",
        "Eric&nbsp;Badege",
        "Er\u200bic Bade\u00adge",
        "Eric\u2060 Badege\ufeff",
        "Eric\x00\x07Badege",
        "Eric Bad\u0435ge",  # Cyrillic e
        "\u0415ric Badege",  # Cyrillic capital E
        "Eric Βadege",  # Greek capital beta
    ):
        assert compare_names("Person", query, listed) == 1.0, query
    # a word written in Cyrillic stays Cyrillic (and is romanised as such)
    assert [t.text for t in analyse_name("Владимир Путин", "PER").tokens] == ["vladimir", "putin"]


def test_a_cleaned_query_says_so_in_the_explanation() -> None:
    from listguard.index import Index
    from listguard.matching.query import Query
    from listguard.matching.screener import Screener
    from listguard.model import Entity

    ent = Entity(id="t:1", schema="Person", dataset="t", properties={"name": ["Eric Badege"]})
    hits = Screener(Index.build([ent])).screen(Query(names=["Eric <script>x</script> Bad\u0435ge"], schema="Person"))
    assert hits and hits[0].match
    assert "markup removed" in hits[0].explanation.summary
    assert "look-alike letters" in hits[0].explanation.summary
