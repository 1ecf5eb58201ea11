"""From paths on disk to new versions in the store.

``listguard load`` and ``listguard update`` both come through here: find the list files under
the given paths, detect each format, parse each completely, and only then hand the finished
result to the store, which writes it in one transaction. One bad file fails alone, with its
message; the other lists still load.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Callable

from listguard import sources
from listguard.listdates import older_than_current
from listguard.sources.base import ParseResult, SourceError
from listguard.store import LoadReport, Store
from listguard.store.store import _entities_checksum


@dataclass
class Candidate:
    """A path that one parser module claims."""

    path: Path
    module: ModuleType

    @property
    def dataset(self) -> str:
        return str(self.module.DATASET)


@dataclass
class LoadOutcome:
    path: Path
    report: LoadReport | None = None
    error: str | None = None
    seconds: float = 0.0


def find_lists(paths: list[Path]) -> tuple[list[Candidate], list[Path]]:
    """Expand ``paths`` into parseable list publications.

    A path a parser claims (a file, or an OFAC CSV folder) is one candidate. Any other folder is
    searched recursively. Returns the candidates, in a stable order (sorted by path, so dated
    folders of the same list load oldest first), and the files left out: those no parser
    claimed, and FollowTheMoney files found in a folder (they load only when named).
    """
    found: list[Candidate] = []
    unknown: list[Path] = []

    def visit(path: Path, explicit: bool) -> None:
        if path.is_dir():
            module = _claim(path)
            if module is not None:
                found.append(Candidate(path, module))
                return
            for child in sorted(path.iterdir()):
                if child.name.startswith("."):
                    continue
                visit(child, explicit=False)
            return
        if explicit:
            # An explicitly named file must be a list: let detect() raise the clear error.
            found.append(Candidate(path, sources.detect(path)))
            return
        module = _claim(path)
        if module is not None and getattr(module, "DATASET", None) != "ftm":
            found.append(Candidate(path, module))
        elif path.is_file():
            # FollowTheMoney files (samples, exports) are not official lists: a folder load
            # leaves them out; naming the file imports it (see load_candidate).
            unknown.append(path)

    for path in paths:
        if not path.exists():
            raise SourceError(path, "no such file or folder")
        visit(path, explicit=True)
    # An OFAC folder also contains sdn.csv: claim the folder once, not each CSV inside it.
    return found, unknown


def _claim(path: Path) -> ModuleType | None:
    for module in sources.modules():
        try:
            if module.detect(path):
                return module
        except OSError:
            return None
    return None


def load_candidate(
    store: Store,
    candidate: Candidate,
    *,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
    on_parsed: Callable[[int], None] | None = None,
    loaded_by: str | None = None,
    dataset: str | None = None,
    published: str | None = None,
    published_default: str | None = None,
    allow_older: bool = False,
) -> LoadReport:
    """Parse one publication completely, then write it as a new version.

    ``dataset`` names the dataset of formats that do not fix it themselves (FollowTheMoney
    files); official formats always load under their own dataset name, and a FollowTheMoney
    import never takes the name of an official list listguard reads natively.

    ``published`` (``load --published``) sets the publication date; ``published_default``
    (the publisher's Last-Modified on ``update``) is used when the file states none. A
    publication older than the dataset's current version is stored but only becomes current
    with ``allow_older``; the report's ``not_current`` says why it did not.
    """
    parse = candidate.module.parse
    if dataset is not None:
        if candidate.dataset != "ftm":
            raise SourceError(
                candidate.path,
                f"--dataset only names FollowTheMoney imports; this is {candidate.dataset}",
            )
        if dataset in official_datasets():
            raise SourceError(
                candidate.path,
                f"--dataset {dataset} is an official list listguard reads natively; load the "
                f"official file for it, or give this import its own name (e.g. os_{dataset})",
            )
        result = parse(candidate.path, dataset=dataset)
    else:
        result = parse(candidate.path)
        if candidate.dataset == "ftm" and result.dataset in official_datasets():
            _rename(result, f"os_{result.dataset}")
    if published:
        result.published_at = published
    elif not result.published_at and published_default:
        result.published_at = published_default
    if not result.entities:
        raise SourceError(
            candidate.path,
            "no entries found; the file may be an empty or partial download. The current "
            "version was kept",
        )
    if on_parsed:
        on_parsed(len(result.entities))
    older = None if allow_older else older_than_current(store, result)
    if older is not None and not force:
        # An older file loaded again (e.g. a folder load re-run): it is stored already.
        checksum = result.checksum() if result.files else _entities_checksum(result.entities)
        for version in store.versions(result.dataset):
            if version.checksum == checksum:
                current = store.current_version(result.dataset)
                return LoadReport(
                    result.dataset,
                    None,
                    skipped=True,
                    reason=(
                        f"same file as stored version {version.seq}, which is not current: {older}; "
                        f"version {current.seq if current else '?'} stays current (--allow-older "
                        "makes this file current)"
                    ),
                    previous=version,
                    stats=result.stats,
                    warnings=result.warnings,
                )
    report = store.load(
        result,
        source=str(candidate.path.resolve()),
        force=force,
        title=getattr(candidate.module, "TITLE", None),
        progress=progress,
        loaded_by=loaded_by,
        make_current=older is None,
    )
    if older is not None and report.version is not None and not report.version.current:
        current = store.current_version(result.dataset)
        report.not_current = (
            f"{result.dataset} version {report.version.seq} stored but not made current: {older}. "
            f"Version {current.seq if current else '?'} stays current; "
            "load again with --allow-older to make this one current"
        )
    return report


def official_datasets() -> set[str]:
    """Dataset names of the official lists listguard parses natively (not FtM imports)."""
    names: set[str] = set()
    for module in sources.modules():
        if module.DATASET == "ftm":
            continue
        names.add(module.DATASET)
        names.update(getattr(module, "DATASETS", ()))
    return names


def _rename(result: ParseResult, name: str) -> None:
    """Give an FtM import that names an official list its own dataset name, and say so."""
    result.warn(
        f"the file says its entities come from {result.dataset}, an official list listguard "
        f"reads natively; loaded as {name} so it is not mistaken for that list (use --dataset "
        "to choose another name)",
    )
    result.count("renamed_official_dataset")
    result.dataset = name
    for entity in result.entities:
        entity.dataset = name
