"""FollowTheMoney JSON lines: plain entity files and OpenSanctions delta files.

Two shapes, one entity per line (UTF-8, optionally gzipped):

* entity files — ``{"id", "schema", "properties", "datasets", ...}`` (an OpenSanctions export,
  ``listguard export --format ftm``);
* delta files — ``{"op": "ADD" | "MOD" | "DEL", "entity": {...}}``, applied in file order
  (``MOD`` replaces the whole entity, ``DEL`` removes it).

FtM models a sanctioned party as a small graph: the party (``Person``, ``Company``...) plus
``Sanction``, ``Passport``/``Identification``, ``CryptoWallet`` and ``Address`` entities pointing
at it, and relationship entities (``Ownership``, ``Family``, ``Directorship``, ``UnknownLink``...)
between parties. listguard keeps one record per party (see :mod:`listguard.model`), so only the
party schemata in :data:`~listguard.model.PARTY_SCHEMATA` become entities and everything else is
*folded* into the parties it points at:

* ``Sanction`` (``entity``) → ``program``, ``programId``, and ``createdAt`` from ``listingDate``
  (else ``startDate``);
* ``Passport`` / ``Identification`` (``holder``) → :meth:`Entity.add_identifier` with the issuing
  country. The identifier type is the party property already holding that number (a tax number
  stays ``taxNumber``), else ``passportNumber`` for a Passport and ``idNumber`` otherwise;
* ``CryptoWallet`` (``holder``) → :meth:`Entity.add_wallet`;
* ``Address`` (via the party's ``addressEntity``) → ``address`` (the ``full`` text, else the
  parts joined) and ``country``;
* relationship entities → :meth:`Entity.add_link` on both parties: the source side gets the
  role ("Leader or official of") or the schema's label ("owns"), the target side the reverse
  ("owned by"). ``UnknownLink`` only links its ``subject``: listguard's own exporter writes one
  UnknownLink per link a party carries, so reading it back must not double them.

Entity ids are kept exactly as the file gives them (no dataset prefix): they are already global
(``NK-...``, ``ofac-...``), and keeping them makes a re-import of our own export id-stable.
The dataset of the load is the one every entity names first in ``datasets``; a file mixing
datasets (an OpenSanctions collection) is loaded under its file name, or the ``dataset``
argument. Each entity's ``record`` is the FtM JSON as written plus the adjacent entities that
were folded into it.
"""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path
from typing import Any, Iterable

import orjson
from followthemoney import model
from followthemoney.schema import Schema

from listguard.ftmschema import LISTGUARD_ID_KEY, prop_for
from listguard.model import ID_PROPS, PARTY_SCHEMATA, Entity
from listguard.sources.base import ParseResult, SourceError, check_file, peek

DATASET = "ftm"
TITLE = "FollowTheMoney entities (JSON lines, OpenSanctions delta files)"

OPS = ("ADD", "MOD", "DEL")
#: Reverse wording for directed relationship labels (FtM ``edge.label``).
REVERSE_LABELS = {
    "owns": "owned by",
    "directs": "directed by",
    "works for": "employs",
    "belongs to": "has member",
    "represents": "represented by",
    "preceeds": "succeeded",
    "precedes": "succeeded",
}
_PARTIES = frozenset(PARTY_SCHEMATA)
_DATASET_NAME = re.compile(r"[^a-z0-9_]+")


# -- reading ---------------------------------------------------------------------------------


def detect(path: Path) -> bool:
    """A ``.json``/``.jsonl``/``.ftm`` (optionally .gz) file whose first line is an FtM entity
    or a delta op."""
    path = Path(path)
    if not path.is_file():
        return False
    try:
        if peek(path, 2) == b"\x1f\x8b":
            with gzip.open(path, "rb") as fh:
                head = fh.read(8192)
        else:
            head = peek(path, 8192)
    except (OSError, EOFError, zlib.error):
        return False
    first = head.lstrip().split(b"\n", 1)[0]
    if not first.startswith(b"{"):
        return False
    if re.match(rb'\{\s*"op"\s*:', first):
        return True
    return b'"schema"' in first and b'"properties"' in first and b'"id"' in first


def _lines(path: Path) -> Iterable[tuple[int, bytes]]:
    try:
        if peek(path, 2) == b"\x1f\x8b":
            with gzip.open(path, "rb") as fh:
                data = fh.read()
        else:
            data = path.read_bytes()
    except EOFError as exc:
        raise SourceError(path, "the gzip file is truncated (it ends before the end-of-stream "
                          "marker); download it again") from exc
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise SourceError(path, f"the gzip data is corrupt ({exc}); download it again") from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.strip():
            yield number, line


def _load(path: Path, line_number: int, line: bytes) -> dict[str, Any]:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(path, f"not valid UTF-8 (byte 0x{line[exc.start:exc.start + 1].hex()} "
                          f"at column {exc.start + 1}); FtM files are UTF-8. Download or export "
                          "the file again", f"line {line_number}") from exc
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise SourceError(path, f"invalid JSON ({exc}); the file is damaged or truncated. "
                          "Download or export it again", f"line {line_number}") from exc
    if not isinstance(data, dict):
        raise SourceError(path, f"expected a JSON object (an FtM entity or a delta op), got "
                          f"{type(data).__name__}", f"line {line_number}")
    return data


def _check_entity(path: Path, line_number: int, data: Any) -> tuple[dict[str, Any], Schema]:
    """Validate the entity envelope: an id, a known schema, a properties object of string lists."""
    where = f"line {line_number}"
    if not isinstance(data, dict):
        raise SourceError(path, "the delta op's \"entity\" is not an object", where)
    entity_id = data.get("id")
    if not isinstance(entity_id, str) or not entity_id.strip():
        raise SourceError(path, "entity without an \"id\"; every FtM entity needs one", where)
    schema_name = data.get("schema")
    schema = model.get(schema_name) if isinstance(schema_name, str) else None
    if schema is None:
        raise SourceError(
            path,
            f"unknown FtM schema {schema_name!r} for entity {entity_id} (followthemoney "
            "knows e.g. Person, Company, Sanction). The file is not FtM or needs a newer "
            "followthemoney",
            where,
        )
    properties = data.get("properties", {})
    if not isinstance(properties, dict) or not all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in properties.values()
    ):
        raise SourceError(path, f"entity {entity_id}: \"properties\" must map property names to "
                          "lists of strings", where)
    return data, schema


# -- parsing ---------------------------------------------------------------------------------


def parse(path: Path, dataset: str | None = None) -> ParseResult:
    """Read an FtM entity file or delta file; parties become entities, the rest is folded in."""
    path = Path(path)
    check_file(path)
    result = ParseResult(dataset=dataset or DATASET, entities=[], files=[path])
    raw: dict[str, tuple[dict[str, Any], Schema]] = {}
    deleted: list[str] = []
    ops = 0
    lines = 0
    for number, line in _lines(path):
        lines += 1
        data = _load(path, number, line)
        if "op" in data:
            ops += 1
            op = data["op"]
            if op not in OPS:
                raise SourceError(path, f"unknown delta op {op!r} (expected ADD, MOD or DEL)",
                                  f"line {number}")
            entity, schema = _check_entity(path, number, data.get("entity"))
            result.count(f"delta_{op.lower()}")
            if op == "DEL":
                deleted.append(_own_id(entity))
                if raw.pop(entity["id"], None) is None:
                    result.count("delta_del_unknown")
                    result.warn(f"line {number}: DEL of {entity['id']}, which the file did not "
                                "add (it removes it from a previous version)")
                continue
            if op == "MOD" and entity["id"] not in raw:
                result.count("delta_mod_unknown")  # modifies a previous version: an upsert
            if op == "ADD" and entity["id"] in raw:
                result.count("delta_add_existing")
            raw[entity["id"]] = (entity, schema)
        else:
            entity, schema = _check_entity(path, number, data)
            if entity["id"] in raw:
                # one policy for repeated ids (sources.base): merged, every value kept
                entity, schema = _merge_repeat(raw[entity["id"]], (entity, schema), result)
                result.count("duplicate_ids")
                result.warn(f"duplicate id {entity['id']} at line {number}: listed twice; merged "
                            "into one entry (every value kept)")
            raw[entity["id"]] = (entity, schema)
    if lines == 0:
        raise SourceError(path, "the file has no entities (only blank lines)", "line 1")
    if ops and ops != lines:
        result.count("mixed_delta_and_entity_lines")
    # A delta file patches the dataset's current version; it is not the whole list.
    result.partial = ops > 0

    if dataset is None:
        result.dataset = _dataset_name(path, (e for e, _ in raw.values()), result)
    result.entities = _fold(raw, result)
    kept = {e.id for e in result.entities}
    result.deleted = [i for i in dict.fromkeys(deleted) if i not in kept]
    result.stats["lines"] = lines
    result.stats["entities"] = len(result.entities)
    return result


def _merge_repeat(first: tuple[dict[str, Any], Schema], again: tuple[dict[str, Any], Schema],
                  result: ParseResult) -> tuple[dict[str, Any], Schema]:
    """Two lines with one id, as FtM fragments: the union of their property values, under the
    schema both fit (an Organization and a Company: Company). Schemata that do not meet keep
    the first one, and only the repeat's names are added."""
    data, schema = first
    other, other_schema = again
    try:
        merged_schema = model.common_schema(schema, other_schema)
        props = dict(other.get("properties", {}))
    except Exception:  # followthemoney.exc.InvalidData: e.g. a Person and a Vessel
        merged_schema = schema
        props = {k: v for k, v in other.get("properties", {}).items()
                 if k in ("name", "alias", "weakAlias", "previousName")}
        result.count("duplicate_ids_other_type")
    out = {**data, "schema": merged_schema.name, "properties": {k: list(v) for k, v in data.get("properties", {}).items()}}
    for prop, values in props.items():
        bucket = out["properties"].setdefault(prop, [])
        bucket.extend(v for v in values if v not in bucket)
    return out, merged_schema


def _dataset_name(path: Path, entities: Iterable[dict[str, Any]], result: ParseResult) -> str:
    """The one dataset all entities name first, else a name made from the file name."""
    firsts: set[str] = set()
    for entity in entities:
        datasets = entity.get("datasets")
        if isinstance(datasets, list) and datasets and isinstance(datasets[0], str):
            firsts.add(datasets[0])
        else:
            firsts.add("")
    if len(firsts) == 1 and "" not in firsts:
        return firsts.pop()
    stem = path.name.lower()
    for suffix in (".gz", ".json", ".jsonl", ".ndjson", ".ftm", ".delta", ".entities"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
    for suffix in (".json", ".jsonl", ".ftm", ".delta"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
    name = _DATASET_NAME.sub("_", stem).strip("_") or DATASET
    result.warn(f"entities come from several datasets ({', '.join(sorted(firsts - {''})[:5])}"
                f"{'...' if len(firsts) > 5 else ''}); loaded as dataset {name!r} (pass "
                "dataset=... to name it)")
    return name


def _fold(raw: dict[str, tuple[dict[str, Any], Schema]], result: ParseResult) -> list[Entity]:
    """Build party entities, then fold every other entity into the parties it references.

    ``parties`` is keyed by the ids the file uses (references use them); the entities themselves
    carry :func:`_own_id`, and link targets are translated the same way.
    """
    parties: dict[str, Entity] = {}
    for entity_id, (data, schema) in raw.items():
        if schema.name in _PARTIES:
            parties[entity_id] = _party(data, schema, result)
        elif not any(schema.is_a(p) for p in _PARTIES):
            continue
        else:  # a descendant of a party schema we do not list (e.g. PublicBody): its parent
            parent = next(p for p in PARTY_SCHEMATA if schema.is_a(p))
            result.count(f"schema_generalised:{schema.name}")
            parties[entity_id] = _party(data, model.get(parent) or schema, result)

    adjacent = 0
    for entity_id, (data, schema) in raw.items():
        if entity_id in parties:
            continue
        adjacent += 1
        props: dict[str, list[str]] = data.get("properties", {})
        if schema.is_a("Sanction"):
            _fold_sanction(data, props, parties, result)
        elif schema.is_a("Identification"):
            _fold_identification(data, schema, props, parties, result)
        elif schema.is_a("CryptoWallet"):
            _fold_wallet(data, props, parties, result)
        elif schema.is_a("Address"):
            continue  # folded from the party side (addressEntity), below
        elif schema.edge_source and schema.edge_target:
            _fold_relation(data, schema, props, parties, raw, result)
        else:
            result.count(f"not_folded:{schema.name}")

    for entity in parties.values():
        _fold_addresses(entity, raw, parties, result)
        _identifiers_from_props(entity)
    result.stats["adjacent_entities"] = adjacent
    return list(parties.values())


def _own_id(data: dict[str, Any]) -> str:
    """The id to keep: the file's, or the listguard id our own export recorded beside it."""
    own = data.get(LISTGUARD_ID_KEY)
    return own if isinstance(own, str) and own.strip() else str(data["id"])


def _party(data: dict[str, Any], schema: Schema, result: ParseResult) -> Entity:
    entity = Entity(id=_own_id(data), schema=schema.name, dataset=result.dataset,
                    record={"entity": data})
    for name, values in data.get("properties", {}).items():
        prop = schema.get(name)
        if prop is None:
            result.count(f"unknown_property:{schema.name}.{name}")
            continue
        if prop.type.name == "entity":
            # references (addressEntity...) are resolved in _fold; they are not kept as values
            continue
        if prop.stub:  # pragma: no cover - reverse properties are never serialised
            continue
        entity.add(name, values)
    return entity


def _attach(parties: dict[str, Entity], ids: list[str], data: dict[str, Any],
            result: ParseResult, schema_name: str) -> list[Entity]:
    """The parties an adjacent entity points at; counts the ones missing from the file."""
    found = [parties[i] for i in ids if i in parties]
    if len(found) < len(ids) or not ids:
        result.count(f"adjacent_without_party:{schema_name}")
    for entity in found:
        adjacent = entity.record.setdefault("adjacent", [])
        if data not in adjacent:
            adjacent.append(data)
    return found


def _fold_sanction(data: dict[str, Any], props: dict[str, list[str]],
                   parties: dict[str, Entity], result: ParseResult) -> None:
    for entity in _attach(parties, props.get("entity", []), data, result, "Sanction"):
        entity.add("program", props.get("program"))
        entity.add("programId", props.get("programId"))
        entity.add("createdAt", props.get("listingDate") or props.get("startDate"))


def _fold_identification(data: dict[str, Any], schema: Schema, props: dict[str, list[str]],
                         parties: dict[str, Entity], result: ParseResult) -> None:
    numbers = props.get("number", []) + [
        n for n in props.get("passportNumber", []) if n not in props.get("number", [])
    ]
    holders = _attach(parties, props.get("holder", []), data, result, schema.name)
    if not numbers:
        result.count(f"identification_without_number:{schema.name}")
        return
    country = next(iter(props.get("country", [])), None)
    note = "; ".join(props.get("type", [])) or None
    is_passport = schema.is_a("Passport")
    default = "passportNumber" if is_passport else "idNumber"
    # The party property holding the number says what kind it is; a Passport entity means a
    # passport, and a generic Identification anything but (the same number can be both).
    kinds = [p for p in ID_PROPS if (p == "passportNumber") == is_passport]
    for entity in holders:
        for number in numbers:
            kind = next((p for p in kinds if number in entity.get(p)), None)
            kind = kind or prop_for(entity.schema, default)
            if kind is None:
                result.count(f"identifier_not_in_schema:{entity.schema}")
                continue
            entity.add_identifier(kind, number, country, note)


def _fold_wallet(data: dict[str, Any], props: dict[str, list[str]],
                 parties: dict[str, Entity], result: ParseResult) -> None:
    addresses = props.get("publicKey", []) + props.get("cryptoAddress", [])
    currency = (props.get("currencySymbol") or props.get("currency") or [""])[0]
    holders = _attach(parties, props.get("holder", []), data, result, "CryptoWallet")
    if not addresses:
        result.count("wallet_without_address")
    for entity in holders:
        for address in addresses:
            entity.add_wallet(currency, address)


def _fold_relation(data: dict[str, Any], schema: Schema, props: dict[str, list[str]],
                   parties: dict[str, Entity], raw: dict[str, tuple[dict[str, Any], Schema]],
                   result: ParseResult) -> None:
    assert schema.edge_source and schema.edge_target
    sources = props.get(schema.edge_source, [])
    targets = props.get(schema.edge_target, [])
    role = next(iter(props.get("role", []) + props.get("relationship", [])), None)
    label = schema.edge_label or schema.label
    forward = role or label
    backward = label if not schema.edge_directed else REVERSE_LABELS.get(label, f"{label} (of)")
    if role and schema.edge_directed:
        backward = f"{backward} ({role})"
    elif role:
        backward = role
    linked = False
    for source in sources:
        for target in targets:
            if source in parties:
                linked = True
                _attach(parties, [source], data, result, schema.name)
                parties[source].add_link(forward, target=_target_id(raw, target),
                                         target_name=_caption(raw, target))
            if target in parties and schema.name != "UnknownLink":
                linked = True
                _attach(parties, [target], data, result, schema.name)
                parties[target].add_link(backward, target=_target_id(raw, source),
                                         target_name=_caption(raw, source))
    if not linked:
        result.count(f"adjacent_without_party:{schema.name}")


def _target_id(raw: dict[str, tuple[dict[str, Any], Schema]], entity_id: str) -> str:
    found = raw.get(entity_id)
    return _own_id(found[0]) if found is not None else entity_id


def _caption(raw: dict[str, tuple[dict[str, Any], Schema]], entity_id: str) -> str | None:
    """The other side's name when the file has it (for display); None otherwise."""
    found = raw.get(entity_id)
    if found is None:
        return None
    data, _ = found
    caption = data.get("caption")
    if isinstance(caption, str) and caption:
        return caption
    names = data.get("properties", {}).get("name", [])
    return names[0] if names else None


def _fold_addresses(entity: Entity, raw: dict[str, tuple[dict[str, Any], Schema]],
                    parties: dict[str, Entity], result: ParseResult) -> None:
    """Fold the party's ``addressEntity`` (and other entity-valued properties) into it."""
    data: dict[str, Any] = entity.record["entity"]
    schema = model.get(data["schema"])
    assert schema is not None
    for name, values in data.get("properties", {}).items():
        prop = schema.get(name)
        if prop is None or prop.type.name != "entity":
            continue
        for ref in values:
            target = raw.get(ref)
            if name == "addressEntity" and target is not None and target[1].is_a("Address"):
                address = target[0].get("properties", {})
                full = address.get("full") or [", ".join(
                    v[0] for k in ("street", "street2", "postalCode", "city", "region", "state")
                    if (v := address.get(k))
                )]
                entity.add("address", full)
                entity.add("country", address.get("country"))
                adjacent = entity.record.setdefault("adjacent", [])
                if target[0] not in adjacent:
                    adjacent.append(target[0])
            elif ref in parties:
                entity.add_link(name, target=_target_id(raw, ref), target_name=_caption(raw, ref))
            else:
                result.count(f"reference_unresolved:{name}")


def _identifiers_from_props(entity: Entity) -> None:
    """Every identifier property value becomes an :class:`Identifier` unless a Passport or
    Identification entity already described that number (with its country)."""
    covered = {(i.type, i.number) for i in entity.identifiers}
    for prop in ID_PROPS:
        for number in entity.get(prop):
            if (prop, number) not in covered:
                entity.add_identifier(prop, number)
