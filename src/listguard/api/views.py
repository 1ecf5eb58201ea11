"""Read models shared by the JSON API and the web UI: an entity in full, a version diff.

Both surfaces show the same facts, so they are computed once here. Everything an entity page
needs that the in-memory snapshot does not hold (the list's own record, the version history,
what changed between versions) is read from the store with indexed lookups, which keeps a page
well under the 200 ms budget. Diffs between two versions are immutable, so they are cached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from listguard.model import Entity
from listguard.store import Store, VersionInfo
from listguard.store.diff import Diff, diff_versions, entity_changes, resolve_versions

from listguard.api.service import Snapshot


def _link_target(snap: Snapshot, target: str | None, name: str | None) -> dict[str, Any]:
    entity = snap.entities.get(target) if target else None
    return {
        "id": target,
        "caption": entity.caption if entity else (name or target),
        "schema": entity.schema if entity else None,
        "listed": entity is not None,
    }


def entity_detail(snap: Snapshot, store: Store, entity_id: str) -> dict[str, Any] | None:
    """Everything known about one entity: data, relations both ways, record, history.

    An entity no longer in the current lists (delisted) is still shown from the last version
    that had it, flagged ``listed: false``, because an analyst following an old alert must be
    able to read what the list said.
    """
    history = store.entity_history(entity_id)
    current = store.get_entity(entity_id)
    listed = current is not None
    if current is None:
        if not history:
            return None
        current = store.get_entity(entity_id, version_id=history[-1]["id"])
        if current is None:
            return None
    changes = _history_changes(store, history)
    links = [
        {"relation": link.relation, "target": _link_target(snap, link.target, link.target_name)}
        for link in current.links
    ]
    linked_from = [
        {"relation": relation, "source": _link_target(snap, source, None)}
        for source, relation in snap.linked_from.get(entity_id, ())
    ]
    version = snap.version_of(current.dataset)
    return {
        "id": current.id,
        "caption": current.caption,
        "schema": current.schema,
        "dataset": current.dataset,
        "datasets": [current.dataset],
        "listed": listed,
        "properties": current.properties,
        "names": [{"name": n, "kind": k} for n, k in current.names()],
        "identifiers": [
            {k: v for k, v in vars(i).items() if v is not None} for i in current.identifiers
        ],
        "wallets": [vars(w) for w in current.wallets],
        "links": links,
        "linked_from": linked_from,
        "record": current.record,
        "version": version.to_dict() if version else None,
        "history": changes,
    }


def _history_changes(store: Store, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entity's versions, each with what changed since the previous one that had it."""
    hashes = [h["hash"] for h in history]
    blobs = store.blobs(hashes) if len(set(hashes)) > 1 else {}
    out: list[dict[str, Any]] = []
    previous: dict[str, Any] | None = None
    for h in history:
        entry: dict[str, Any] = {
            "dataset": h["dataset"],
            "version": h["seq"],
            "version_id": h["id"],
            "loaded_at": h["loaded_at"],
            "published_at": h["published_at"],
            "hash": h["hash"],
            "status": "added" if previous is None else "unchanged",
            "changes": [],
        }
        if previous is not None and previous["hash"] != h["hash"]:
            before, after = blobs.get(previous["hash"]), blobs.get(h["hash"])
            if before is not None and after is not None:
                fields = entity_changes(before, after)
                entry["changes"] = [c.to_dict() for c in fields]
                entry["status"] = "changed" if fields else "record wording changed"
        out.append(entry)
        previous = h
    return out


class DiffCache:
    """Version diffs by (old id, new id). Versions never change, so entries never go stale."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[int, int], Diff] = OrderedDict()
        self._pending: dict[tuple[int, int], threading.Event] = {}

    def get(self, store: Store, old: VersionInfo, new: VersionInfo) -> Diff:
        key = (old.id, new.id)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
            # One computation per pair: a page asking while the warmer computes waits for it.
            pending = self._pending.get(key)
            owner = pending is None
            if owner:
                pending = self._pending[key] = threading.Event()
        assert pending is not None
        if not owner:
            pending.wait(120)
            with self._lock:
                found = self._items.get(key)
            if found is not None:
                return found
        try:
            result = diff_versions(store, old, new)
            with self._lock:
                self._items[key] = result
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        finally:
            if owner:
                with self._lock:
                    self._pending.pop(key, None)
                pending.set()
        return result


def version_diff(
    cache: DiffCache, store: Store, dataset: str, old: int | None, new: int | None
) -> Diff:
    """The diff of two versions of ``dataset`` (defaults: current vs the one before)."""
    a, b = resolve_versions(store, dataset, old, new)
    return cache.get(store, a, b)


def brief(entity: Entity) -> dict[str, Any]:
    return {"id": entity.id, "caption": entity.caption, "schema": entity.schema, "dataset": entity.dataset}


def warm_diffs(cache: DiffCache, store: Store, snap: Snapshot) -> None:
    """Compute the diff of each list's current version against the one before it.

    Those are the diffs analysts open (the morning after a list update), and a large one
    (OFAC's three-year delta) takes over a second: computing it in the background when the
    version arrives keeps the page itself under 200 ms.
    """
    for current in snap.versions:
        earlier = [v for v in store.versions(current.dataset) if v.seq < current.seq]
        if earlier:
            cache.get(store, earlier[-1], current)
