"""The compiled, immutable, picklable screening index over every name of every loaded list.

Why compiled: screening must answer thousands of queries a second, so everything that can be
done once is done at build time. Every name and alias is analysed (romanised, tokenised, typed,
phonetic keys computed) exactly once; the query then only has to *find* the few dozen listed
names worth scoring carefully. Finding them uses keys that survive the ways names vary:

* ``t:`` the ASCII token (exact), ``k:`` its romanisation key (``Jong/Jeong``), ``l:`` its loose
  key (``Kim/Gim``, ``Chong/Jong``), ``d:`` the loose key with one letter deleted (typos: a
  query and a listed token within one edit share a deletion), ``s:`` the consonant skeleton
  (names typed in Arabic or Hebrew script), ``g:`` the known-variant groups (``Usama/Osama``);
* ``b:`` broad consonant classes (a name transcribed into Hangul, kana or Han characters);
* ``j:`` adjacent tokens of a listed name joined (``Song Hwa`` is found by ``Songhwa``);
* identifiers (IMO, passports, BICs, registration numbers) and wallet addresses, normalised.

Immutable and picklable (plain dicts, lists, arrays and named tuples): the CLI caches it on disk
(:mod:`listguard.index_cache`) and it can be broadcast to Spark executors as is. Unpickle it
with :func:`listguard.index_cache.loads` (or with the garbage collector paused): a million
small objects otherwise trigger cyclic-GC passes that make loading five times slower. The raw source
records are dropped from the entities it keeps (the store has them): screening never reads them
and they would double the size of the pickle.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import replace
from typing import Callable, Iterable, Iterator, NamedTuple

from listguard.model import NAME_PROPS, Entity
from listguard.names.tokens import (
    HONORIFIC,
    INITIAL,
    NAME,
    NUMBER,
    PARTICLE,
    NameForm,
    Token,
    analyse_name,
    split_alternatives,
    tag_for_schema,
)
from listguard.names.translit import ABJAD, HAN, HANGUL, KANA
from listguard.names.weights import FrequencyWeights

#: Name kinds, in the order of :data:`listguard.model.NAME_PROPS`.
KIND_CODES = {prop: i for i, prop in enumerate(NAME_PROPS)}
KINDS = NAME_PROPS

#: Tokens that appear in more listed names than this are not used to *find* candidates
#: (they still count when candidates found by rarer tokens are scored).
MAX_POSTINGS = 4000

_ID_CLEAN = re.compile(r"[^0-9A-Za-z]")


_ID_PREFIX = re.compile(
    r"^\s*(?:imo|mmsi|bic|swift(?:/bic)?|lei|inn|ogrn|tin|vat|passport|pp|id|no|nr|number|#)\b[\s.:#-]*",
    re.IGNORECASE,
)


def normalise_identifier(value: str) -> str:
    """Identifiers compare on letters and digits only, case-insensitively, without the label a
    writer may put in front ("IMO 9138680", "Passport No. 927220230")."""
    previous = None
    while previous != value:
        previous = value
        value = _ID_PREFIX.sub("", value)
    return _ID_CLEAN.sub("", value).upper()


def deletions(key: str) -> Iterator[str]:
    """Every string one letter shorter than ``key`` (for keys of 4+ letters)."""
    if len(key) < 4:
        return
    seen = set()
    for i in range(len(key)):
        d = key[:i] + key[i + 1 :]
        if d not in seen:
            seen.add(d)
            yield d


def token_forms(tok: Token) -> list[str]:
    """The variant-table forms a token is known by (its own, and the written word)."""
    out = [tok.vform]
    if tok.frag and tok.script in (HAN, HANGUL, KANA):
        out.append("@" + tok.raw)
    return out


def exact_key(form: NameForm) -> str:
    """A whole analysed name as one key: its parts (numbers as digits, other scripts as
    written) in sorted order, and its legal form. Two names with this key are the same name
    typed in another order or case, with other punctuation."""
    parts = sorted(t.canon if t.kind == NUMBER else (t.orig if t.frag else t.text) for t in form.tokens)
    if not parts:
        return ""
    return " ".join(parts) + ("|" + ",".join(sorted(form.legal)) if form.legal else "")


class IndexedName(NamedTuple):
    """One listed name of one entity."""

    entity: int  # position in Index.entities
    kind: int  # index into KINDS
    form: NameForm
    weights: tuple[float, ...] = ()  # token weights, by this index's frequencies


class IdentifierRef(NamedTuple):
    entity: int
    prop: str  # FtM property (imoNumber, passportNumber...) or "wallet"
    country: str | None
    value: str  # as the list wrote it


class Index:
    """Every name of every entity, analysed, with the keys to find them.

    Build with :meth:`build`; never mutate. ``len(index)`` is the number of entities.
    """

    __slots__ = (
        "entities",
        "_by_id",
        "names",
        "keys",
        "postings",
        "vocab",
        "joined",
        "identifiers",
        "weights",
        "variants",
        "datasets",
        "version",
        "exact",
        "numbers",
    )

    #: bump when the layout or the analysis changes (the on-disk cache keys on it)
    FORMAT = 6  # 4: Join.plen; 5: exact names and numbers; 6: number phrases, English nicknames

    def __init__(self) -> None:
        self.entities: list[Entity] = []
        self._by_id: dict[str, int] = {}
        self.names: list[IndexedName] = []
        #: retrieval key -> vocabulary ids
        self.keys: dict[str, list[int]] = {}
        #: vocabulary id -> name ids containing the token
        self.postings: list[array[int]] = []
        #: vocabulary id -> token
        self.vocab: list[Token] = []
        #: joined adjacent tokens (loose key) -> name ids
        self.joined: dict[str, list[int]] = {}
        #: normalised identifier -> references
        self.identifiers: dict[str, list[IdentifierRef]] = {}
        self.weights: FrequencyWeights = FrequencyWeights({}, {}, 10)
        self.variants: dict[str, tuple[int, ...]] = {}
        self.datasets: list[str] = []
        #: exact key of a whole name (:func:`exact_key`) -> name ids: a name typed as listed is
        #: always a candidate, however common its words ("Ahmed", "FU YUAN YU 7901")
        self.exact: dict[str, list[int]] = {}
        #: number (as digits) -> name ids: a number finds the ships, units and funds it names
        self.numbers: dict[str, list[int]] = {}
        self.version = self.FORMAT

    # ------------------------------------------------------------------------------ build
    @classmethod
    def build(
        cls,
        entities: Iterable[Entity],
        progress: Callable[[int], None] | None = None,
        keep_records: bool = False,
    ) -> "Index":
        """Analyse every name of ``entities`` and compile the keys.

        ``progress`` is called with the number of entities processed so far (every 1,000 and at
        the end), for progress bars. Raw source records are dropped unless ``keep_records``.
        """
        import gc

        gc_was_enabled = gc.isenabled()
        gc.disable()  # building allocates ~1M small objects: cyclic GC passes would cost 5x
        try:
            return cls._build(entities, progress, keep_records)
        finally:
            if gc_was_enabled:
                gc.enable()

    @classmethod
    def _build(
        cls,
        entities: Iterable[Entity],
        progress: Callable[[int], None] | None,
        keep_records: bool,
    ) -> "Index":
        from listguard.names import variants

        index = cls()
        vocab_ids: dict[tuple[str, int, int, str], int] = {}
        postings: list[list[int]] = []
        df: dict[str, int] = {}
        skel_df: dict[str, int] = {}
        datasets: set[str] = set()
        joined: dict[str, list[int]] = {}
        count = 0
        for entity in entities:
            if not keep_records and entity.record:
                entity = replace(entity, record={})
            pos = len(index.entities)
            index.entities.append(entity)
            index._by_id[entity.id] = pos
            datasets.add(entity.dataset)
            tag = tag_for_schema(entity.schema)
            seen_names: set[str] = set()
            for value, kind in entity.names():
                for alt in split_alternatives(value):
                    if alt in seen_names:
                        continue
                    seen_names.add(alt)
                    form = analyse_name(alt, tag)
                    if not form.tokens:
                        continue
                    nid = len(index.names)
                    index.names.append(IndexedName(pos, KIND_CODES[kind], form))
                    ekey = exact_key(form)
                    if ekey:
                        index.exact.setdefault(ekey, []).append(nid)
                    for tok in form.tokens:
                        if tok.kind == NUMBER:
                            lst = index.numbers.setdefault(tok.canon, [])
                            if not lst or lst[-1] != nid:
                                lst.append(nid)
                    texts: set[str] = set()
                    skels: set[str] = set()
                    for tok in form.tokens:
                        if tok.kind == NAME:
                            texts.add(tok.text)
                            skels.add(tok.skel)
                        if tok.kind not in (NAME, HONORIFIC) and not (tok.kind == INITIAL):
                            continue
                        vkey = (tok.text, tok.kind, tok.script, tok.orig if tok.frag else "")
                        vid = vocab_ids.get(vkey)
                        if vid is None:
                            vid = len(index.vocab)
                            vocab_ids[vkey] = vid
                            index.vocab.append(tok)
                            postings.append([])
                        plist = postings[vid]
                        if not plist or plist[-1] != nid:
                            plist.append(nid)
                    for text in texts:
                        df[text] = df.get(text, 0) + 1
                    for skel in skels:
                        skel_df[skel] = skel_df.get(skel, 0) + 1
                    # adjacent tokens joined, so that a query "Songhwa" finds "Song Hwa"
                    # (a particle too: "Al Shabaab" is found by "Alshabaab")
                    toks = [t for t in form.tokens if t.kind in (NAME, PARTICLE)]
                    for a, b in zip(toks, toks[1:]):
                        if b.kind != NAME:
                            continue
                        from listguard.names.phonetic import loose_key

                        jk = loose_key(a.text + b.text)
                        lst = joined.setdefault(jk, [])
                        if not lst or lst[-1] != nid:
                            lst.append(nid)
            for ident in entity.identifiers:
                norm = normalise_identifier(ident.number)
                if len(norm) >= 4:
                    index.identifiers.setdefault(norm, []).append(
                        IdentifierRef(pos, ident.type, ident.country, ident.number)
                    )
            for wallet in entity.wallets:
                norm = normalise_identifier(wallet.address)
                if len(norm) >= 8:
                    index.identifiers.setdefault(norm, []).append(
                        IdentifierRef(pos, "wallet", None, wallet.address)
                    )
            count += 1
            if progress is not None and count % 1000 == 0:
                progress(count)
        index.postings = [array("I", p) for p in postings]
        index.joined = joined
        index.weights = FrequencyWeights(df, skel_df, len(index.names))
        weigh = index.weights.weight
        index.names = [n._replace(weights=tuple(weigh(t) for t in n.form.tokens)) for n in index.names]
        index.datasets = sorted(datasets)
        # keys of the vocabulary
        forms: set[str] = set()
        keys: dict[str, list[int]] = {}

        def add(key: str, vid: int) -> None:
            lst = keys.get(key)
            if lst is None:
                keys[key] = [vid]
            elif lst[-1] != vid:
                lst.append(vid)

        for vid, tok in enumerate(index.vocab):
            add("t:" + tok.text, vid)
            if tok.kind != NAME:
                continue
            forms.update(token_forms(tok))
            add("k:" + tok.key, vid)
            if len(tok.loose) >= 3:
                add("l:" + tok.loose, vid)
            for d in deletions(tok.loose):
                add("d:" + d, vid)
            if len(tok.skel) >= 2:
                add("s:" + tok.skel, vid)
            if len(tok.broad) >= 2:
                add("b:" + tok.broad, vid)
            if tok.broad2 != tok.broad and len(tok.broad2) >= 2:
                add("b:" + tok.broad2, vid)
        index.variants = variants.subset_for(forms)
        for vid, tok in enumerate(index.vocab):
            if tok.kind != NAME:
                continue
            for vf in token_forms(tok):
                for gid in index.variants.get(vf, ()):
                    add(f"g:{gid}", vid)
        index.keys = keys
        if progress is not None:
            progress(count)
        return index

    # ----------------------------------------------------------------------------- access
    def __len__(self) -> int:
        return len(self.entities)

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._by_id

    def get(self, entity_id: str) -> Entity:
        """The entity with this id (``KeyError`` if it is not in the index)."""
        return self.entities[self._by_id[entity_id]]

    def position(self, entity_id: str) -> int:
        return self._by_id[entity_id]

    def __iter__(self) -> Iterator[Entity]:
        return iter(self.entities)

    def activate(self) -> None:
        """Make this index's name-variant groups known to the comparer (see
        :func:`listguard.names.variants.register`). Called by the Screener."""
        from listguard.names import variants

        variants.register(self.variants)

    # ----------------------------------------------------------------------------- pickle
    def __reduce__(self) -> tuple[object, tuple[bytes]]:
        """Pickle as one blob restored with the garbage collector paused.

        The index is about a million small objects; unpickling them with cyclic GC running
        triggers collection passes that make loading five times slower. Wrapping the state in
        one blob lets :func:`_restore` pause the collector whoever unpickles the index (the
        on-disk cache, a Spark broadcast, a benchmark).
        """
        import pickle

        state = {name: getattr(self, name) for name in self.__slots__ if name != "_by_id"}
        return (_restore, (pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL),))

    def _set_state(self, state: dict[str, object]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        self._by_id = {e.id: i for i, e in enumerate(self.entities)}

    def __repr__(self) -> str:
        return f"<Index {len(self.entities)} entities, {len(self.names)} names, {len(self.vocab)} tokens>"

    def stats(self) -> dict[str, int]:
        return {
            "entities": len(self.entities),
            "names": len(self.names),
            "tokens": len(self.vocab),
            "keys": len(self.keys),
            "identifiers": len(self.identifiers),
            "variant_forms": len(self.variants),
        }


def _restore(blob: bytes) -> Index:
    import gc
    import pickle

    enabled = gc.isenabled()
    gc.disable()
    try:
        state = pickle.loads(blob)
    finally:
        if enabled:
            gc.enable()
    index = Index.__new__(Index)
    index._set_state(state)
    return index


__all__ = ["Index", "IndexedName", "IdentifierRef", "exact_key", "normalise_identifier", "KINDS", "ABJAD"]
