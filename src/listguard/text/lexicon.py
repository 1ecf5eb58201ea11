"""Word lists the extractor needs to tell a name from an ordinary word, a place or a title.

Why word lists and not a statistical model: the guards must be explainable ("'Hope' is an
English word, so a vessel called HOPE is not flagged every time a press release hopes"), fast
(a set lookup), and shippable without downloading model weights.

* :func:`english_words`: the lower-case entries of the SCOWL American English word list
  (Debian's ``wamerican``; see ``data/english_words.LICENSE``). Proper nouns are capitalised in
  that list and so are *not* included: ``kim``, ``putin``, ``hamas`` are not English words here,
  ``hope``, ``star``, ``silver`` are.
* :func:`place_keys`: every country, territory and region name rigour knows (25,000 names in
  many languages, including demonyms like "North Korean"), plus a short list of cities that
  sanctions news names all the time. A listed name that *is* a place ("Crimea", an alias
  "DPRK") is never a text pattern.
* :data:`ROLE_WORDS`: titles and roles written before a name ("CEO Jong Song Hwa",
  "Ambassador ...", "Lt. Gen."), never absorbed into a name when a span is extended.
* :data:`OBJECT_CUES`: words that announce a vessel or an aircraft; a one-word vessel name is
  only a mention right after one of them ("the tanker HAPPY").
* :data:`LEGAL_WORDS`: company legal forms written around a name ("Co., Ltd.", "OOO", "LLC"),
  included in a mention's span but never required for it.
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib import resources

#: Roles and titles (lower case, ASCII). Kept short on purpose: each is a word that is *never*
#: part of a listed person's name when it stands before it in running text.
ROLE_WORDS = frozenset(
    """ceo cfo coo cto cio chairman chairwoman chairperson chair president vice deputy director
    directors manager managers executive executives founder cofounder co-founder owner owners
    partner ambassador envoy consul attache minister ministers secretary undersecretary
    spokesman spokeswoman spokesperson representative rep sen senator gov governor mayor premier
    chancellor king queen prince princess emir sultan sheikh sheik shaikh tsar czar comrade
    marshal general gen lieutenant lt colonel col major maj captain capt commander cmdr admiral
    adm sergeant sgt brigadier brig officer officers agent agents chief head leader leaders
    supreme judge justice prosecutor attorney lawyer dr doctor prof professor mr mrs ms miss
    mme sir dame lord lady madam monsieur herr frau senor senora don dona his her excellency
    hon honourable honorable rev reverend father imam ayatollah mullah cleric pastor bishop
    patriarch commissioner inspector superintendent trustee treasurer auditor accountant
    banker broker trader financier businessman businesswoman tycoon oligarch magnate
    official officials operative operatives member members citizen national nationals
    defendant suspect witness dprk north south korean russian iranian syrian chinese""".split()
)

#: Words that announce a vessel or an aircraft (lower case).
OBJECT_CUES = frozenset(
    """vessel vessels ship ships tanker tankers freighter freighters carrier carriers bulker
    boat yacht trawler tug barge ferry mv mt ms ss fv my lpg lng ulcc vlcc crude cargo
    containership aircraft airplane aeroplane plane planes jet jets airliner helicopter
    registration tail flagged named""".split()
)

#: Company legal forms and their parts, as words in running text (lower case, no dots).
LEGAL_WORDS = frozenset(
    """co corp corporation company companies inc incorporated ltd limited llc llp lp plc
    gmbh ag sa sas sarl spa srl bv nv ab asa oy oyj as aps kg kft zrt nyrt sp zoo sro
    jsc ojsc cjsc pjsc ooo oao zao pao ao tov pat prat too ip fzc fze fzco fzllc dmcc
    pte pvt private bhd sdn tbk pt cv de rl group holding holdings""".split()
)

#: Legal forms written *before* the name ("OOO Foo", "JSC Bar", "PT Baz").
LEGAL_PREFIXES = frozenset(
    """ooo oao zao pao ao ab jsc ojsc cjsc pjsc tov pat prat too pt cv llc public joint stock
    closed open limited liability company private state unitary enterprise federal
    municipal""".split()
)

_WEEKDAYS_MONTHS = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december jan feb mar apr jun jul aug sep
    sept oct nov dec""".split()
)

#: Cities that sanctions reporting names constantly and that rigour's territory names (which
#: are countries and regions) do not cover. A listed name equal to one of these is not a pattern.
CITIES = frozenset(
    c.strip()
    for c in """pyongyang, sinuiju, nampo, rason, dandong, shenyang, yanji, hunchun, beijing,
    shanghai, guangzhou, shenzhen, hong kong, macau, vladivostok, moscow, saint petersburg,
    st petersburg, minsk, kyiv, kiev, sevastopol, simferopol, donetsk, luhansk, lugansk, tehran,
    teheran, isfahan, mashhad, tabriz, bandar abbas, damascus, aleppo, latakia, tartus, homs,
    beirut, baghdad, mosul, basra, kabul, kandahar, herat, islamabad, karachi, peshawar, lahore,
    quetta, caracas, havana, managua, tripoli, benghazi, sanaa, aden, hodeidah, khartoum,
    mogadishu, dubai, abu dhabi, sharjah, doha, muscat, istanbul, ankara, baku, yerevan, tbilisi,
    tashkent, almaty, astana, bishkek, dushanbe, ashgabat, kuala lumpur, singapore, bangkok,
    yangon, naypyidaw, phnom penh, vientiane, hanoi, ulaanbaatar, london, paris, berlin, vienna,
    geneva, zurich, washington, new york""".split(",")
)


@cache
def english_words() -> frozenset[str]:
    """Ordinary (lower-case) English words, ASCII."""
    data = resources.files("listguard.text").joinpath("data/english_words.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode("ascii").split())


def is_ordinary(word: str) -> bool:
    """True for an ordinary English word (``word`` lower case ASCII), a weekday or a month."""
    return word in english_words() or word in _WEEKDAYS_MONTHS


@cache
def territory_names() -> frozenset[str]:
    """Every country/territory/region name (and the places) rigour knows, lower case.

    Read straight from rigour's territory data rather than through its lookup, which
    transliterates all 25,000 names on first use (seconds); only Latin-script names are needed
    here, and those are folded with a cheap NFKD.
    """
    import json
    import unicodedata

    from rigour._core import territories_jsonl

    names: set[str] = set()
    for line in territories_jsonl().splitlines():
        if not line.strip():
            continue
        data = json.loads(line)
        values = [data.get("name"), data.get("full_name")]
        for key in ("names_strong", "names_weak", "places"):
            values.extend(data.get(key) or [])
        for value in values:
            if not value:
                continue
            folded = unicodedata.normalize("NFKD", value.casefold())
            folded = "".join(c for c in folded if not unicodedata.combining(c))
            if folded.isascii():
                names.add(folded)
    return frozenset(names)
