"""The evaluation harness: metrics with hand-computed answers, variant generators on real list
names, readers on the real eval files, the peer harness, and a smoke run on the real matcher."""

from __future__ import annotations

import csv
import random
import re
from dataclasses import dataclass, field

import pytest

from conftest import EVAL, LISTS, require_shared
from listguard.evaluation import metrics
from listguard.evaluation import variants as V
from listguard.evaluation.datasets import (
    NameKeyIndex,
    is_latin,
    name_key,
    read_en_ko,
    read_lines,
    read_name_pairs,
    read_watchman_pairs,
    script_of,
)
from listguard.model import Entity

# -- metrics ----------------------------------------------------------------------------------


def test_prf_hand_computed():
    scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    labels = [True, False, True, True, False, False]
    r = metrics.prf(scores, labels, 0.65)  # predicted: .9 .8 .7 -> tp 2, fp 1; fn 1 (.6); tn 2
    assert (r.tp, r.fp, r.fn, r.tn) == (2, 1, 1, 2)
    assert r.precision == pytest.approx(2 / 3)
    assert r.recall == pytest.approx(2 / 3)
    assert r.f1 == pytest.approx(2 / 3)
    # threshold is inclusive
    assert metrics.prf([0.7], [True], 0.7).tp == 1


def test_prf_empty_denominators_are_zero():
    r = metrics.prf([0.1, 0.2], [False, False], 0.5)
    assert (r.precision, r.recall, r.f1) == (0.0, 0.0, 0.0)
    assert r.tn == 2


def test_prf_length_mismatch():
    with pytest.raises(ValueError):
        metrics.prf([0.1], [True, False], 0.5)


def test_best_threshold_known_answer():
    scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    labels = [True, False, True, True, False, False]
    best = metrics.best_threshold(scores, labels)
    # t=0.6 -> tp 3, fp 1, fn 0: P .75 R 1 F1 6/7 (the maximum)
    assert best.threshold == 0.6
    assert best.f1 == pytest.approx(6 / 7)
    # brute force agrees
    brute = max(metrics.prf(scores, labels, t).f1 for t in scores)
    assert best.f1 == pytest.approx(brute)


def test_best_threshold_ties_take_lowest_and_duplicates_group():
    # t=0.8 and t=0.5 both give F1 = 2/3 ... lowest wins
    scores = [0.8, 0.5, 0.5, 0.2]
    labels = [True, True, False, False]
    best = metrics.best_threshold(scores, labels)
    assert best.f1 == pytest.approx(max(metrics.prf(scores, labels, t).f1 for t in scores))
    assert best.threshold == 0.5
    assert (best.tp, best.fp) == (2, 1)


def test_best_threshold_random_matches_brute_force():
    rng = random.Random(7)
    for _ in range(50):
        n = rng.randint(1, 30)
        scores = [round(rng.random(), 1) for _ in range(n)]
        labels = [rng.random() < 0.5 for _ in range(n)]
        best = metrics.best_threshold(scores, labels)
        brute = max(metrics.prf(scores, labels, t).f1 for t in scores)
        assert best.f1 == pytest.approx(brute)


def test_best_threshold_without_positives():
    best = metrics.best_threshold([0.3, 0.9], [False, False])
    assert best.f1 == 0.0 and best.threshold == 0.9 and best.fp == 1


def test_screening_tally():
    t = metrics.ScreeningTally(k=2)
    t.add({"a"}, [("x", 0.95, True), ("a", 0.9, True)], "q1")  # found (match), 1 false alert
    t.add({"b"}, [("x", 0.5, False), ("b", 0.4, False)], "q2")  # at k, not a match
    t.add({"c"}, [("x", 0.5, False), ("y", 0.4, False), ("c", 0.3, False)], "q3")  # beyond k
    t.add(set(), [("z", 0.9, True)], "q4")  # non-listed: false alert
    t.add(set(), [("z", 0.3, False)], "q5")
    assert t.n == 5 and t.positives == 3
    assert t.recall_match == pytest.approx(1 / 3)
    assert t.recall_at_k == pytest.approx(2 / 3)
    assert t.false_alerts == 2
    assert t.false_alerts_per_query == pytest.approx(2 / 5)
    assert t.false_alert_query_rate == pytest.approx(2 / 5)
    assert t.queries_with_any_match == 2
    d = t.to_dict()
    assert d["recall_at_2"] == pytest.approx(0.6667, abs=1e-4)
    assert [m["query"] for m in d["misses"]] == ["q2", "q3"]


def test_screening_tally_namesakes_are_not_false_alerts():
    t = metrics.ScreeningTally()
    t.add({"a"}, [("a", 1.0, True), ("b", 0.9, True), ("c", 0.85, True)], "q", namesakes={"b", "a"})
    assert t.false_alerts == 1 and t.namesake_alerts == 1 and t.recall_match == 1.0


def test_namesake_rule():
    from listguard.evaluation.datasets import namesake

    fuller = Entity("x", "Person", "gb", {"name": ["ZAVIZENOV, Konstantin Anatolyevich"]})
    assert namesake(["ZAVIZENOV Konstantin"], fuller)
    assert namesake(["Konstantin Anatolyevich ZAVIZENOV Jr"], fuller)  # either direction
    assert not namesake(["ZAVIZENOV"], fuller)  # one shared token is not enough
    assert not namesake(["Konstantin Petrov"], fuller)


# -- name keys and scripts --------------------------------------------------------------------


def test_name_key_and_scripts():
    assert name_key("PUTIN, Vladimir") == name_key("vladimir  putin") == "putin vladimir"
    assert name_key("Aleksandar Vučić") == name_key("ALEKSANDAR VUCIC")
    assert script_of("Владимир Путин") == "CYRILLIC"
    assert script_of("김정은") == "HANGUL"
    assert script_of("ウラジーミル・プーチン") == "JAPANESE"
    assert script_of("金正恩") == "CJK"
    assert script_of("محمد علي") == "ARABIC"
    assert script_of("123") == "NONE"
    assert is_latin("Vladimír Pútín") and not is_latin("Путин Vladimir") and not is_latin("--")


def test_name_key_index_same_name_and_listed():
    a = Entity("a", "Person", "x", {"name": ["PUTIN, Vladimir"], "weakAlias": ["VOVA"]})
    b = Entity("b", "Person", "y", {"alias": ["Vladimir Putin"]})
    c = Entity("c", "Person", "y", {"name": ["Other Person"]})
    keys = NameKeyIndex([a, b, c])
    assert keys.same_name(["vladimir putin"]) == {"a", "b"}
    assert keys.listed("Vova") and keys.listed("putin vladimir") and not keys.listed("Vladimir Putov")
    assert keys.same_name(["VOVA"]) == set()  # weak aliases do not establish identity


# -- variant generators on real list names ----------------------------------------------------


def _sdn_names(n: int = 600) -> list[tuple[str, str]]:
    """(name, schema) of real OFAC SDN entries, read straight from the legacy CSV."""
    require_shared()
    path = LISTS / "ofac" / "sdn_latest" / "sdn.csv"
    rows = []
    with open(path, encoding="cp1252", newline="") as fh:
        for row in csv.reader(fh):
            if len(row) < 3:
                continue
            kind = row[2].strip()
            schema = {"individual": "Person", "-0-": "Organization"}.get(kind)
            if schema:
                rows.append((row[1].strip(), schema))
    rng = random.Random(1)
    rng.shuffle(rows)
    return rows[:n]


@pytest.fixture(scope="module")
def sdn_names() -> list[tuple[str, str]]:
    return _sdn_names()


def _run(kind: str, names: list[tuple[str, str]]) -> list[V.Variant]:
    gen = V.GENERATORS[kind]
    rng = random.Random(5)
    out = []
    for name, schema in names:
        v = gen(name, schema, rng)
        if v is not None:
            assert v.kind == kind and v.source == name and v.query != name, v
            out.append(v)
    return out


def test_reorder_on_real_names(sdn_names):
    out = _run("reorder", sdn_names)
    assert len(out) > 100
    for v in out:
        assert "," not in v.query
        assert sorted(v.query.split()) == sorted(v.source.replace(",", " ").split())
    assert V.reorder("ACME TRADING", "Organization", random.Random(0)) is None
    assert V.reorder("KIM, Jong Un", "Person", random.Random(0)).query == "Jong Un KIM"


def test_romanisation_on_real_names(sdn_names):
    out = _run("romanisation", sdn_names)
    assert len(out) > 30
    for v in out:
        a, b = v.source.split(" "), v.query.split(" ")
        assert len(a) == len(b)
        changed = [(x, y) for x, y in zip(a, b) if x != y]
        assert len(changed) == 1, v
        x = re.sub(r"\W", "", changed[0][0]).lower()
        y = re.sub(r"\W", "", changed[0][1]).lower()
        same_class = any(x in cls and y in cls for cls in V.ROMANISATION_CLASSES)
        same_suffix = any(
            any(x.endswith(s1) and y.endswith(s2) and x[: -len(s1)] == y[: -len(s2)] for s1 in cls for s2 in cls)
            for cls in V.ROMANISATION_SUFFIXES
        )
        assert same_class or same_suffix, v
    v = V.romanisation("Mohammed SMITH", "Person", random.Random(0))
    assert v.query.split()[0] in {"Muhammad", "Mohammad", "Mohamed", "Muhammed", "Mohamad", "Mouhamed"}


def test_typo_is_one_edit_not_first_letter(sdn_names):
    out = _run("typo", sdn_names)
    assert len(out) > 400
    for v in out:
        assert V.damerau_distance(v.source, v.query) == 1, v
        a, b = v.source.split(" "), v.query.split(" ")
        assert len(a) == len(b)
        changed = [(x, y) for x, y in zip(a, b) if x != y]
        assert len(changed) == 1 and changed[0][0][0] == changed[0][1][0], v


def test_drop_middle_on_real_names(sdn_names):
    out = _run("drop_middle", sdn_names)
    assert len(out) > 30
    for v in out:
        src = v.source.replace(",", " ").split()
        q = v.query.replace(",", " ").split()
        assert len(q) == len(src) - 1
        dropped = v.detail.removeprefix("dropped ")
        rest = list(src)
        rest.remove(dropped)
        assert rest == q
        assert dropped.lower() not in V.PARTICLES
        # never the family name (before the comma) nor the first given name
        if "," in v.source:
            assert v.query.split(",")[0] == v.source.split(",")[0]
            assert v.query.split(",")[1].split()[0] == v.source.split(",")[1].split()[0]
    assert V.drop_middle("Sergey Viktorovich Lavrov", "Person", random.Random(0)).query == "Sergey Lavrov"
    assert V.drop_middle("PUTIN, Vladimir Vladimirovich", "Person", random.Random(0)).query == "PUTIN, Vladimir"


def test_hyphenation_on_real_names(sdn_names):
    out = _run("hyphenation", sdn_names)
    assert len(out) > 30
    squash = lambda s: re.sub(r"[\s\-]", "", s).lower()  # noqa: E731
    for v in out:
        assert squash(v.source) == squash(v.query), v
    rng = random.Random(0)
    v = V.hyphenation("RI, Song-Hwa", "Person", rng)
    assert v.query in ("RI, Song Hwa", "RI, Songhwa")
    v = V.hyphenation("KIM Jong Un", "Person", random.Random(0))
    assert v.query in ("KIM Jong-un", "KIM Jongun")  # never joins the family name


def test_legal_form_on_real_names(sdn_names):
    out = _run("legal_form", sdn_names)
    assert len(out) > 50
    for v in out:
        assert V.strip_legal_forms(v.source) == V.strip_legal_forms(v.query), v
        old, new = v.detail.split(" -> ")
        cls = V._FORM_CLASS[old.lower()]
        assert new.lower() in {f.lower() for f in cls}
    v = V.legal_form("LIMITED LIABILITY COMPANY ISKUSSTVO KRASOTY", "Company", random.Random(0))
    assert v.query.endswith("ISKUSSTVO KRASOTY") and v.query.split()[0] in {"LLC", "L.L.C.", "OOO", "OBSHCHESTVO"}
    assert V.legal_form("SA ALI", "Person", random.Random(0)) is None
    # a short form inside a name is not a legal form
    assert V.legal_form("AO HUA SHIPPING", "Company", random.Random(0)) is not None
    assert V.legal_form("BANK AG TRADING", "Company", random.Random(0)) is None


def test_lowercase(sdn_names):
    out = _run("lowercase", sdn_names)
    assert len(out) > 500
    assert all(v.query == v.source.lower() for v in out)
    assert V.lowercase("already lower", "Person", random.Random(0)) is None


def test_generators_are_deterministic(sdn_names):
    for kind in V.GENERATORS:
        assert [v.query for v in _run(kind, sdn_names[:100])] == [v.query for v in _run(kind, sdn_names[:100])]


# -- readers on the real eval files -----------------------------------------------------------


def test_readers_on_real_files():
    require_shared()
    pairs = read_name_pairs(EVAL / "name_pairs_dev.csv")
    assert len(pairs) == 411 and sum(p.is_match for p in pairs) == 209
    wm = read_watchman_pairs(EVAL / "watchman_cross_script_pairs.csv")
    assert len(wm) == 22 and all(is_latin(p.expected) and not is_latin(p.query) for p in wm)
    assert len(read_lines(EVAL / "nomenklatura_putin_names.txt")) == 81
    first = next(read_en_ko(EVAL / "wikidata_names_en_ko.tsv"))
    assert first == ("George Washington", "조지 워싱턴")


# -- non-listed names -------------------------------------------------------------------------


def test_synthetic_names_are_deterministic_and_not_listed():
    pytest.importorskip("faker")  # bench/test extra
    from listguard.evaluation.synthetic import generate_names

    names, stats = generate_names(60, 30, seed=3)
    again, _ = generate_names(60, 30, seed=3)
    assert [n.name for n in names] == [n.name for n in again]
    assert sum(n.schema == "Person" for n in names) == 60
    assert len({n.locale for n in names}) > 20
    assert any(not is_latin(n.name) for n in names)  # other scripts too
    # names that are "on a list" are dropped
    listed = [Entity(f"e{i}", n.schema, "t", {"name": [n.name]}) for i, n in enumerate(names[:10])]
    kept, stats = generate_names(60, 30, seed=3, listed=NameKeyIndex(listed))
    assert stats["listed"] >= 10
    assert not {name_key(n.name) for n in kept} & {name_key(n.name) for n in names[:10]}


# -- screening flow with a stand-in matcher (tests only) --------------------------------------


@dataclass
class _Hit:
    entity_id: str
    score: float
    match: bool
    caption: str = ""
    schema: str = "Person"
    matched_name: str = ""
    datasets: list = field(default_factory=list)
    explanation: str = ""


class _StandIn:
    """Exact name-key matcher: enough to check the harness's bookkeeping, nothing more."""

    DEFAULT_THRESHOLD = 0.9

    class Query:
        def __init__(self, names, schema=None, **kw):
            self.names, self.schema = names, schema

        @classmethod
        def from_name(cls, name, **kw):
            return cls([name], **kw)

    class Index:
        def __init__(self, entities):
            self.by_key: dict[str, list] = {}
            for e in entities:
                for n, _ in e.names():
                    self.by_key.setdefault(name_key(n), []).append((e, n))

        @classmethod
        def build(cls, entities):
            return cls(entities)

    class Screener:
        def __init__(self, index):
            self.index = index

        def screen(self, query, limit=5, threshold=None):
            hits = {}
            for e, n in self.index.by_key.get(name_key(query.names[0]), []):
                hits[e.id] = _Hit(e.id, 1.0, True, e.caption, e.schema, n)
            return list(hits.values())[:limit]


def test_screening_flow_with_stand_in():
    require_shared()
    from listguard.evaluation.screening import Runner, evaluate_screening

    ents = [
        Entity("sdn:1", "Person", "us_ofac_sdn", {"name": ["KIM, Jong Un"]}),
        Entity("un:1", "Person", "un_sc_sanctions", {"name": ["KIM JONG UN"], "alias": ["김정은"]}),
        Entity("sdn:2", "Organization", "us_ofac_sdn", {"name": ["IRAN AIR LIMITED"]}),
        Entity("sdn:3", "Person", "us_ofac_sdn", {"name": ["PUTIN, Vladimir Vladimirovich"]}),
        Entity("sdn:4", "Person", "us_ofac_sdn", {"name": ["Mohammed Ali Hassan"]}),
    ]
    runner = Runner(lambda m: None, m=_StandIn, Index=_StandIn.Index)
    res = evaluate_screening(
        runner=runner,
        entities=ents,
        sets=["latin_variants", "original_script", "watchman", "putin"],
        sizes={"per_kind": 4, "korean": 3},
    )
    groups = {(g["set"], g["group"]): g["results"]["listguard"] for g in res["groups"]}
    # lowercase variants are found exactly; both lists' KIM entries count as correct
    low = groups[("latin_variants", "lowercase")]
    assert low["recall_match"] == 1.0 and low["false_alerts"] == 0
    # the Hangul alias is removed from the Latin-only index, so an exact matcher finds nothing
    assert groups[("original_script", "hangul")]["n"] == 1
    assert groups[("original_script", "hangul")]["recall_match"] == 0.0
    # the exact-match stand-in finds "PUTIN, Vladimir Vladimirovich" spellings with the same key
    assert groups[("putin", "all")]["n"] == 81
    assert 0 < groups[("putin", "all")]["recall_match"] < 0.5


# -- report and command -----------------------------------------------------------------------


def test_report_renders(capsys):
    from listguard.evaluation.report import console, print_report

    g = {"kind": "overall", "group": "all", "n": 2, "positives": 1, "results": {
        "listguard": {"default": metrics.prf([0.9, 0.1], [True, False], 0.5).to_dict(),
                      "best": metrics.best_threshold([0.9, 0.1], [True, False]).to_dict()}}}
    pairs = {"set": "pairs", "file": "x.csv", "n": 2, "positives": 1, "groups": [g],
             "systems": {"listguard": {"available": True, "threshold": 0.5},
                         "logic-v2": {"available": False, "note": "no nomenklatura"}}}
    t = metrics.ScreeningTally()
    t.add({"a"}, [("a", 1.0, True)])
    screening = {"set": "screening", "limit": 5, "threshold": 0.5, "seed": 1,
                 "groups": [{"set": "latin_variants", "group": "all", "n": 1, "results": {"listguard": t.to_dict()}}]}
    print_report([pairs, screening], console())
    out = capsys.readouterr().out
    assert "1.00 / 1.00 / 1.000" in out and "NOT MEASURED" in out and "latin_variants" in out


def test_eval_command_registers():
    import typer
    from typer.testing import CliRunner

    from listguard.commands.evaluation import register

    app = typer.Typer()
    register(app)

    @app.command("other")
    def other() -> None:  # a second command so typer keeps sub-command names
        pass

    result = CliRunner().invoke(app, ["eval", "--help"])
    assert result.exit_code == 0 and "--set" in result.output and "--json" in result.output


# -- peers and the real matcher on the real pairs ---------------------------------------------


def test_peer_harness_reproduces_published_logic_v2_figures():
    """The README of the shared data: logic-v2 reaches P 0.74 / R 0.87 / F1 0.80 at 0.7."""
    require_shared()
    pytest.importorskip("nomenklatura")  # the `bench` extra
    from listguard.evaluation.pairs import evaluate_pairs

    res = evaluate_pairs(EVAL, peers=True)
    overall = next(g for g in res["groups"] if g["kind"] == "overall")
    v2 = overall["results"]["logic-v2"]["default"]
    assert v2["precision"] == pytest.approx(0.74, abs=0.01)
    assert v2["recall"] == pytest.approx(0.87, abs=0.01)
    assert v2["f1"] == pytest.approx(0.80, abs=0.01)
    assert {"logic-v1", "ofac"} <= set(overall["results"])


def test_pair_eval_smoke_with_real_matcher():
    require_shared()
    from listguard.evaluation.pairs import evaluate_pairs

    res = evaluate_pairs(EVAL, peers=False)
    assert res["systems"]["listguard"]["available"], res["systems"]["listguard"]
    overall = next(g for g in res["groups"] if g["kind"] == "overall")
    ours = overall["results"]["listguard"]["default"]
    assert ours["n"] == 411
    assert 0.0 <= ours["f1"] <= 1.0
    assert {g["kind"] for g in res["groups"]} == {"overall", "schema", "category", "case_group"}


@pytest.mark.slow
def test_screening_smoke_with_real_matcher_on_un_list():
    """The real index and screener, on the UN list and a few variants of each class."""
    require_shared()
    from listguard.evaluation.screening import evaluate_screening
    from listguard.sources import parse

    entities = parse(LISTS / "un" / "un_sc_consolidated_2026-02-27.xml").entities
    res = evaluate_screening(entities=entities, sets=["latin_variants"], sizes={"per_kind": 8})
    assert "error" not in res, res.get("error")
    groups = {g["group"]: g["results"]["listguard"] for g in res["groups"] if "@" not in g["group"]}
    assert set(groups) == {"all", *V.GENERATORS}
    halves = {g["group"]: g["n"] for g in res["groups"] if g["group"].startswith("all@")}
    assert halves["all@tuning"] + halves["all@heldout"] == groups["all"]["n"]
    assert groups["all"]["n"] >= 40
    assert 0.0 <= groups["all"]["recall_match"] <= groups["all"]["recall_at_5"] + 1e-9
