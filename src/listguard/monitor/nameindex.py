"""A compact, retrieval-only index over a portfolio's names: which records could a new listed
entity be?

Why not the screening :class:`~listguard.index.Index` built over the records? Three reasons,
all measured on a generated million-record portfolio:

* **Recall.** Screening retrieval is tuned for *lists*: it skips tokens found in more than a few
  thousand names and keeps the best 40 candidate names. In a portfolio, "John", "Smith",
  "Mohammed" or "Wang" are in tens of thousands of names, and a hundred customers can share one
  name: a newly listed "SMITH, John" would find none or few of them. Here no token is skipped
  and there is no top-N: a name is a candidate when the entity's tokens *cover* enough of it
  (both tokens of a two-token name, two of three, :data:`MIN_COVERAGE` of a longer one, and two
  tokens of the listed name), which is what a match needs anyway. Set intersections in C keep
  that cheap for common tokens.
* **Load time.** Each run loads the portfolio's index from disk. The screening index keeps full
  entities and analysed name objects (unpickling a million takes tens of seconds); this one is
  plain arrays and dicts of ints (a second or two), because it only has to *find* candidates:
  the forward scoring (record -> lists) that decides is done by the real screener.
* **Duplicates.** Names are stored once, with the records that bear them.

It uses the matcher's own name analysis (:func:`~listguard.names.tokens.analyse_name`) and the
same retrieval keys as :mod:`listguard.index` (exact, romanisation, loose, one deletion,
consonant skeleton, known-variant groups, joined adjacent tokens), so a listed spelling finds the
customer's spelling whenever the screener would find it the other way round. Identifiers are
indexed too: an exact passport or registration number is a hit on its own.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from listguard.index import deletions, normalise_identifier, token_forms
from listguard.names import variants
from listguard.names.phonetic import fold_key
from listguard.names.tokens import NAME, ORG_GENERIC, NameForm, Token, analyse_name, split_alternatives, tag_for_schema
from listguard.names.translit import LATIN

#: A name of four or more tokens is a candidate when the entity's tokens reach this share of
#: them (names of one, two or three tokens need all, both, or two of them).
MIN_COVERAGE = 0.6

#: A query token reaching at most this many names is "rare": a name it reaches is checked
#: token by token even if no other query token's keys reached it (see ``search_forms``).
RARE_REACH = 300

#: Edit similarity (0..1) at which a token the keys did not reach still counts as matched.
TYPO_SIMILARITY = 0.7

# Similarities of the probes (as the screener ranks them).
_EXACT, _ROMAN, _LOOSE, _EDIT, _VARIANT = 1.0, 0.95, 0.85, 0.8, 0.93


#: Bump when the layout changes: cached segments of another format are rebuilt.
FORMAT = 6


_GENERIC_WORDS = sorted(ORG_GENERIC)
_GENERIC_CACHE: dict[str, bool] = {}


def is_generic(text: str) -> bool:
    """A generic company word ("company", "trading", "group"...), typos included: a customer
    who typed "Hlding Finance" or "Industril Resources" wrote generic words too."""
    hit = _GENERIC_CACHE.get(text)
    if hit is None:
        hit = text in ORG_GENERIC or (
            len(text) >= 5
            and process.extractOne(text, _GENERIC_WORDS, scorer=Levenshtein.normalized_similarity, score_cutoff=0.8) is not None
        )
        if len(_GENERIC_CACHE) > 500_000:
            _GENERIC_CACHE.clear()
        _GENERIC_CACHE[text] = hit
    return hit


def _content_count(toks: Sequence[Token]) -> int:
    """Tokens that identify: generic company words do not count toward coverage, unless a
    name has nothing else (a customer who typed "Limied Liability Company Russul" has written
    the name "Russul")."""
    content = sum(1 for t in toks if not is_generic(t.text))
    return content or len(toks)


@dataclass
class NameIndex:
    """Distinct names of a set of records, their tokens and retrieval keys, and record ids."""

    names: list[str] = field(default_factory=list)
    #: name id -> record primary keys (flattened: offsets into ``pks``)
    pk_offsets: array = field(default_factory=lambda: array("I", [0]))
    pks: array = field(default_factory=lambda: array("I"))
    #: name id -> number of name tokens (capped at 255)
    tok_counts: array = field(default_factory=lambda: array("B"))
    #: name id -> its identifying tokens' vocabulary ids (generic company words left out),
    #: flattened: offsets into ``tok_vids``
    tok_offsets: array = field(default_factory=lambda: array("I", [0]))
    tok_vids: array = field(default_factory=lambda: array("I"))
    #: names of a single token (one query token is enough to reach them)
    singles: set[int] = field(default_factory=set)
    #: vocabulary id -> name ids containing it
    postings: list[array] = field(default_factory=list)
    #: vocabulary id -> the token (for the real token similarity)
    vocab: list[Token] = field(default_factory=list)
    #: retrieval key -> vocabulary ids
    keys: dict[str, array] = field(default_factory=dict)
    #: romanisation key of two adjacent tokens joined -> (name id, vid a, vid b), flattened
    joined: dict[str, array] = field(default_factory=dict)
    #: normalised identifier -> record primary keys
    identifiers: dict[str, array] = field(default_factory=dict)
    #: the variant groups of this index's tokens (registered before querying)
    variant_subset: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.names)

    # ------------------------------------------------------------------------------ build
    @classmethod
    def build(cls, records: Iterable[tuple[int, str, str | None, Sequence[str]]]) -> "NameIndex":
        """Index ``(pk, name, schema, identifiers)`` tuples."""
        idx = cls()
        by_name: dict[tuple[str, str], list[int]] = {}
        idents: dict[str, list[int]] = {}
        for pk, name, schema, identifiers in records:
            tag = tag_for_schema(schema)
            by_name.setdefault((name, tag), []).append(pk)
            for value in identifiers:
                norm = normalise_identifier(value)
                if len(norm) >= 4:
                    idents.setdefault(norm, []).append(pk)
        vocab: dict[str, int] = {}
        toks_of_vid: list[Token] = []
        postings: list[list[int]] = []
        joined: dict[str, list[int]] = {}
        pk_offsets, pks = idx.pk_offsets, idx.pks
        for (name, tag), name_pks in by_name.items():
            forms = [analyse_name(alt, tag) for alt in split_alternatives(name)] or [analyse_name(name, tag)]
            for form in forms:
                nid = len(idx.names)
                idx.names.append(name)
                pks.extend(name_pks)
                pk_offsets.append(len(pks))
                toks = [t for t in form.tokens if t.kind == NAME]
                vids: list[int] = []
                for tok in toks:
                    vid = vocab.get(tok.text)
                    if vid is None:
                        vid = len(toks_of_vid)
                        vocab[tok.text] = vid
                        toks_of_vid.append(tok)
                        postings.append([])
                    plist = postings[vid]
                    if not plist or plist[-1] != nid:
                        plist.append(nid)
                    vids.append(vid)
                content = _content_count(toks)
                idx.tok_counts.append(min(content, 255))
                # the tokens coverage is counted on: generic company words only if nothing else
                idx.tok_vids.extend([v for t, v in zip(toks, vids) if not is_generic(t.text)] or vids)
                idx.tok_offsets.append(len(idx.tok_vids))
                if content == 1:
                    idx.singles.add(nid)
                for (a, va), (b, vb) in zip(zip(toks, vids), zip(toks[1:], vids[1:])):
                    joined.setdefault(fold_key(a.text + b.text), []).extend((nid, va, vb))
        idx.postings = [array("I", p) for p in postings]
        idx.vocab = toks_of_vid
        idx.joined = {k: array("I", v) for k, v in joined.items()}
        idx.identifiers = {k: array("I", v) for k, v in idents.items()}
        keys: dict[str, list[int]] = {}

        def add(key: str, vid: int) -> None:
            lst = keys.get(key)
            if lst is None:
                keys[key] = [vid]
            elif lst[-1] != vid:
                lst.append(vid)

        forms_seen: set[str] = set()
        for vid, tok in enumerate(toks_of_vid):
            add("t:" + tok.text, vid)
            add("k:" + tok.key, vid)
            if len(tok.loose) >= 3:
                add("l:" + tok.loose, vid)
            for d in deletions(tok.loose):
                add("d:" + d, vid)
            if len(tok.skel) >= 2:
                add("s:" + tok.skel, vid)
            forms_seen.update(token_forms(tok))
        idx.variant_subset = variants.subset_for(forms_seen)
        for vid, tok in enumerate(toks_of_vid):
            for vform in token_forms(tok):
                for gid in idx.variant_subset.get(vform, ()):
                    add(f"g:{gid}", vid)
        idx.keys = {k: array("I", v) for k, v in keys.items()}
        return idx

    # ----------------------------------------------------------------------------- search
    def _probe(self, tok: Token) -> dict[int, float]:
        """Vocabulary ids a query token may be, with their similarity to it.

        Keys cast a wide net (a loose key is shared by "Kang" and "Kyong"); each token found is
        then checked with the matcher's own token similarity and kept only if it could align
        (the screener does the same before it reads postings). Cached per query token.
        """
        cache = self.__dict__.setdefault("_probe_cache", {})
        ck = (tok.text, tok.script, tok.frag)
        hit = cache.get(ck)
        if hit is None:
            from listguard.matching.compare import MIN_SIM, token_similarity

            vocab = self.vocab
            hit = {}
            for vid in self._keys_probe(tok):
                sim = token_similarity(tok, vocab[vid])[0]
                if sim >= MIN_SIM:
                    hit[vid] = sim
            if len(cache) > 200_000:
                cache.clear()
            cache[ck] = hit
        return dict(hit)

    def _keys_probe(self, tok: Token) -> dict[int, float]:
        """Vocabulary ids a query token reaches through the retrieval keys."""
        keys = self.keys
        found: dict[int, float] = {}

        def probe(key: str, sim: float) -> None:
            for vid in keys.get(key, ()):
                if found.get(vid, 0.0) < sim:
                    found[vid] = sim

        probe("t:" + tok.text, _EXACT)
        if len(tok.text) <= 2:
            # "Ko", "Li", "E": exact only. Every key of a two-letter token is one letter or two
            # ("ko" -> "ka", "oo" -> "a") and reaches half the portfolio; the customer who
            # writes "Go" for "Ko" is still found through the name's longer tokens.
            return found
        probe("k:" + tok.key, _ROMAN)
        loose = tok.loose
        if len(loose) >= 3:
            probe("l:" + loose, _LOOSE)
        if len(loose) >= 5:
            # one typo; not for short keys, where one deletion away is half the alphabet
            # ("kank" -> "ank", "kak"...) and would reach every short customer name
            probe("d:" + loose, _EDIT)
            for d in deletions(loose):
                probe("l:" + d, _EDIT)
                probe("d:" + d, _EDIT)
        if tok.script != LATIN and len(tok.skel) >= 2:
            probe("s:" + tok.skel, _EDIT)
        for form in token_forms(tok):
            for gid in variants.groups(form):
                probe(f"g:{gid}", _VARIANT)
        return found

    def activate(self) -> None:
        """Make this index's variant groups known (once per loaded index: it is not cheap)."""
        if not getattr(self, "_active", False):
            variants.register(self.variant_subset)
            self._active = True

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state.pop("_active", None)
        state.pop("_probe_cache", None)
        return state

    def search_forms(self, forms: Sequence[NameForm], min_coverage: float = MIN_COVERAGE) -> set[int]:
        """Name ids that the query forms cover: every token of a one- or two-token name, two
        of a three-token name, ``min_coverage`` of a longer one; and at least
        two of the query's own tokens (one of a one- or two-token name), each matched to a
        different token.

        The counting is done in C (``Counter.update`` over posting arrays): in a large
        portfolio a common token ("John", "Mohammed") reaches tens of thousands of names, but
        only names reached through two different tokens are looked at one by one.
        """
        self.activate()
        postings, counts, singles = self.postings, self.tok_counts, self.singles
        out: set[int] = set()
        for form in forms:
            toks = list({t.text: t for t in form.tokens if t.kind == NAME}.values())
            if not toks:
                continue
            # "East Asia Trading Import and Export Trade": the name is "East Asia"
            content = [t for t in toks if not is_generic(t.text)]
            if content:
                toks = content
            probes = [self._probe(tok) for tok in toks]
            covers = [1] * len(toks)  # how many query tokens each probe stands for
            # Joined words. A query "Songhwa" may be a customer's "Song Hwa": let that query
            # token also reach the two parts. A query "Song Hwa" may be a customer's "Songhwa":
            # probe the joined pair as one more query token, standing for two.
            for tok, probe in zip(toks, probes):
                triples = self.joined.get(tok.key) if len(tok.text) >= 4 else None
                if triples:
                    for i in range(0, len(triples), 3):
                        probe.setdefault(triples[i + 1], _LOOSE)
                        probe.setdefault(triples[i + 2], _LOOSE)
            for a, b in zip(toks, toks[1:]):
                text = a.text + b.text
                if len(text) < 5:
                    continue  # "ko"+"oo": its key is "ka", shared by every Co., Kai and Kaya
                pair: dict[int, float] = {}
                for key in ("t:" + text, "k:" + fold_key(text)):
                    for vid in self.keys.get(key, ()):
                        pair.setdefault(vid, _LOOSE)
                if pair:
                    probes.append(pair)
                    covers.append(2)
            reach: list[set[int]] = []
            for probe in probes:
                names: set[int] = set()
                for vid in probe:
                    names.update(postings[vid])
                reach.append(names)
            # Candidates: names reached by two different query tokens (pairwise set
            # intersections, in C: a common token reaches thousands of names, two tokens
            # together few), one-token names reached at all, and every name a *rare* query
            # token reaches, whose other tokens are then compared by edit distance: a typo can
            # put a token two keys away ("Subramaiam"), and the screener, finding the name by
            # its rare token and then aligning, would still match it.
            candidates: set[int] = set()
            for i in range(len(reach)):
                ra = reach[i]
                if not ra:
                    continue
                if len(ra) <= RARE_REACH:
                    candidates |= ra
                elif singles:
                    candidates |= ra & singles if len(ra) < len(singles) else singles & ra
                for j in range(i + 1, len(reach)):
                    rb = reach[j]
                    candidates |= (ra & rb) if len(ra) <= len(rb) else (rb & ra)
            # the listed name: one token of a one- or two-token name, two of a longer one (the
            # screener matches "Maria Garcia" to "GARCIA LOPEZ, Maria Jose" about a third of
            # the time, on rare enough tokens)
            need_query = 1 if _content_count(toks) <= 2 else 2
            for nid in candidates:
                n = counts[nid]
                need = n if n <= 2 else 2 if n == 3 else math.ceil(min_coverage * n)
                used = self._assign(nid, toks, probes)
                if len(used) >= need and sum(covers[qi] for qi in used) >= need_query:
                    out.add(nid)
        return out

    def _assign(self, nid: int, toks: Sequence[Token], probes: Sequence[dict[int, float]]) -> set[int]:
        """Match the name's tokens to *different* query probes (two query tokens that both look
        like one customer token count once): first through the keys, then, for the tokens
        left, by edit distance (a typo the keys missed). The edit-distance test is looser
        than the matcher's own token similarity and runs in C: a candidate too many costs a
        forward score, a candidate too few would be a missed alert."""
        used: set[int] = set()
        left: list[int] = []
        for vid in self.tok_vids[self.tok_offsets[nid] : self.tok_offsets[nid + 1]]:
            # the unused probe that reaches this token most closely (a loose key may let
            # "Aung" reach the customer's "Oo" too; "Oo" itself reaches it exactly)
            best, best_sim = -1, 0.0
            for qi, probe in enumerate(probes):
                if qi not in used:
                    sim = probe.get(vid, 0.0)
                    if sim > best_sim:
                        best, best_sim = qi, sim
            if best >= 0:
                used.add(best)
            else:
                left.append(vid)
        similarity = Levenshtein.normalized_similarity
        for vid in left:
            text = self.vocab[vid].text
            for qi, tok in enumerate(toks):  # real tokens only (not joined pairs)
                if qi not in used and similarity(tok.text, text) >= TYPO_SIMILARITY:
                    used.add(qi)
                    break
        return used

    def record_pks(self, name_ids: Iterable[int]) -> set[int]:
        out: set[int] = set()
        for nid in name_ids:
            out.update(self.pks[self.pk_offsets[nid] : self.pk_offsets[nid + 1]])
        return out

    def search(
        self,
        names: Iterable[str],
        schema: str | None,
        identifiers: Iterable[str] = (),
        min_coverage: float = MIN_COVERAGE,
        forms: Sequence[NameForm] | None = None,
    ) -> set[int]:
        """Record primary keys that a party with these names (and identifiers) could match.

        ``forms`` are the names already analysed (the screening index has them for every
        listed entity); otherwise ``names`` are analysed here.
        """
        if forms is None:
            tag = tag_for_schema(schema)
            forms = [analyse_name(alt, tag) for name in names for alt in split_alternatives(name)]
        pks = self.record_pks(self.search_forms([f for f in forms if f.tokens], min_coverage))
        for value in identifiers:
            found = self.identifiers.get(normalise_identifier(value))
            if found:
                pks.update(found)
        return pks
