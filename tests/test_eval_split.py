"""The tuning / held-out split: deterministic, stratified, and never splitting a key."""

from __future__ import annotations

from collections import Counter

from listguard.evaluation.split import HELDOUT, TUNING, assign


def test_split_is_stratified_deterministic_and_keeps_keys_together() -> None:
    items = [(f"group{g}", f"key{k}", i) for g in range(5) for k in range(40) for i in range(3)]
    first = assign("test", items, key=lambda x: x[1], stratum=lambda x: x[0])
    again = assign("test", items, key=lambda x: x[1], stratum=lambda x: x[0])
    assert first == again
    # every stratum is cut in half (by keys), and a key's items share one part
    for g in range(5):
        parts = Counter(part for (grp, _k, _i), part in first if grp == f"group{g}")
        assert parts[TUNING] == parts[HELDOUT] == 60
    by_key: dict[tuple[str, str], set[str]] = {}
    for (grp, key, _i), part in first:
        by_key.setdefault((grp, key), set()).add(part)
    assert all(len(parts) == 1 for parts in by_key.values())
    # another set name deals the keys differently
    other = assign("another", items, key=lambda x: x[1], stratum=lambda x: x[0])
    assert [p for _x, p in other] != [p for _x, p in first]


def test_populations_are_split_in_halves_and_exclude_listed_names() -> None:
    from listguard.evaluation import populations as P

    listed = {"kim minjun"}
    customers = P.build(lambda name: name.casefold().replace("-", "") in listed, per_population=400)
    assert {c.population for c in customers} == set(P.POPULATIONS)
    for c in customers:
        assert c.name.casefold().replace("-", "") not in listed
    for pop in P.POPULATIONS:
        parts = Counter(c.part for c in customers if c.population == pop)
        assert sum(parts.values()) == 400
        assert 150 <= parts[TUNING] <= 250, (pop, parts)
    again = P.build(lambda name: False, per_population=50)
    assert again == P.build(lambda name: False, per_population=50)  # deterministic


def test_fair_alert_is_a_namesake_or_a_dropped_part_only() -> None:
    from listguard.evaluation.populations import Customer, fair_alert

    assert fair_alert("Kim Sung Min", ["KIM, Sung Min"])
    assert fair_alert("Vladimir Putin", ["PUTIN, Vladimir Vladimirovich"])  # patronymic dropped
    assert fair_alert("Kim Minjun", ["Kim Min Jun"])  # written together or apart
    assert fair_alert("Mohammad Soltani", ["SULTANI, Mohammad"])  # one word, two spellings
    assert not fair_alert("Kim Sung-min", ["KIM, Sang Man"])
    assert not fair_alert("Chen Wei", ["SUN, Wei"])
    assert not fair_alert("Ali Dido", ["DIDO"])  # one listed word inside a longer name
    assert fair_alert("Aleksandr Yevgenyevich Petrov", ["PETROV, Aleksandr"])  # a fuller namesake
    assert not fair_alert("Aleksandr Petrov", ["PETROV, Ivan"])
    # a Korean customer's name in another romanisation of the same Hangul is a namesake
    c = Customer("korean_rr", "Kim Seong-cheol", "Kim", "tuning", ("Kim Song-chol",))
    assert fair_alert(c, ["KIM, Song Chol"])
