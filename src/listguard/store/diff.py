"""What changed between two versions of a list.

A diff is computed from the stored versions alone: entity ids present in only one version are
added or removed; ids in both whose content hash differs are changed, and for those we say
*what* changed, property by property (a name, an alias, a birth date, an identifier...), so a
compliance analyst can read the delta rather than two records side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from listguard.model import Entity
from listguard.store.store import Store, VersionInfo


@dataclass
class FieldChange:
    """One property of one entity: the values it lost and gained."""

    field: str
    removed: list[str]
    added: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "removed": self.removed, "added": self.added}


@dataclass
class EntityChange:
    entity_id: str
    caption: str
    schema: str
    changes: list[FieldChange] = field(default_factory=list)
    #: True when only the source record's wording changed, nothing screening looks at.
    record_only: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity_id,
            "caption": self.caption,
            "schema": self.schema,
            "changes": [c.to_dict() for c in self.changes],
            "record_only": self.record_only,
        }


@dataclass
class Diff:
    dataset: str
    old: VersionInfo
    new: VersionInfo
    added: list[Entity]
    removed: list[Entity]
    changed: list[EntityChange]

    def to_dict(self) -> dict[str, Any]:
        def brief(e: Entity) -> dict[str, Any]:
            return {"entity_id": e.id, "caption": e.caption, "schema": e.schema}

        return {
            "dataset": self.dataset,
            "old": self.old.to_dict(),
            "new": self.new.to_dict(),
            "summary": {
                "added": len(self.added),
                "removed": len(self.removed),
                "changed": len(self.changed),
            },
            "added": [brief(e) for e in self.added],
            "removed": [brief(e) for e in self.removed],
            "changed": [c.to_dict() for c in self.changed],
        }


def _flatten(entity: Entity) -> dict[str, list[str]]:
    """Entity as field -> values, identifiers/wallets/links included, for comparison."""
    out: dict[str, list[str]] = {"schema": [entity.schema]}
    for prop, values in entity.properties.items():
        out[prop] = list(values)
    for ident in entity.identifiers:
        label = ident.number + (f" ({ident.country})" if ident.country else "")
        out.setdefault(f"identifier:{ident.type}", []).append(label)
    for wallet in entity.wallets:
        out.setdefault("wallet", []).append(f"{wallet.currency} {wallet.address}")
    for link in entity.links:
        out.setdefault("link", []).append(f"{link.relation}: {link.target or link.target_name}")
    return out


def entity_changes(old: Entity, new: Entity) -> list[FieldChange]:
    """Property-level differences between two versions of one entity."""
    a, b = _flatten(old), _flatten(new)
    changes: list[FieldChange] = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key, []), b.get(key, [])
        removed = [v for v in va if v not in vb]
        added = [v for v in vb if v not in va]
        if removed or added:
            changes.append(FieldChange(key, removed, added))
    return changes


def resolve_versions(
    store: Store, dataset: str, old: int | None = None, new: int | None = None
) -> tuple[VersionInfo, VersionInfo]:
    """Pick the two versions to compare: by default the current one and the one before it."""
    versions = store.versions(dataset)
    if not versions:
        raise KeyError(f"no dataset {dataset!r} loaded; see `listguard sources`")
    if new is None:
        current = store.current_version(dataset)
        assert current is not None
        new_v = current
    else:
        new_v = store.version_by_seq(dataset, new)
    if old is None:
        earlier = [v for v in versions if v.seq < new_v.seq]
        if not earlier:
            raise KeyError(
                f"{dataset} has only one version up to {new_v.seq}; load another to compare"
            )
        old_v = earlier[-1]
    else:
        old_v = store.version_by_seq(dataset, old)
    return old_v, new_v


def diff_versions(store: Store, old: VersionInfo, new: VersionInfo) -> Diff:
    """Compute the diff between two versions (of the same dataset, normally)."""
    a = store.version_index(old.id)
    b = store.version_index(new.id)
    added_ids = sorted(set(b) - set(a))
    removed_ids = sorted(set(a) - set(b))
    changed_ids = sorted(i for i in set(a) & set(b) if a[i][0] != b[i][0])
    hashes = [b[i][0] for i in added_ids] + [a[i][0] for i in removed_ids]
    hashes += [a[i][0] for i in changed_ids] + [b[i][0] for i in changed_ids]
    blobs = store.blobs(hashes)
    changed: list[EntityChange] = []
    for entity_id in changed_ids:
        before, after = blobs[a[entity_id][0]], blobs[b[entity_id][0]]
        fields = entity_changes(before, after)
        record_only = a[entity_id][1] == b[entity_id][1]
        if record_only and not fields:
            fields = [FieldChange("record", ["(source record wording)"], ["(changed)"])]
        changed.append(
            EntityChange(entity_id, after.caption, after.schema, fields, record_only=record_only)
        )
    return Diff(
        dataset=new.dataset,
        old=old,
        new=new,
        added=[blobs[b[i][0]] for i in added_ids],
        removed=[blobs[a[i][0]] for i in removed_ids],
        changed=changed,
    )
