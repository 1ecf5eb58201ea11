"""From paths on disk to new versions in the store.

``listguard load`` and ``listguard update`` both come through here: find the list files under
the given paths, detect each format, parse each completely, and only then hand the finished
result to the store, which writes it in one transaction. One bad file fails alone, with its
message; the other lists still load.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from listguard import sources
from listguard.sources.base import SourceError
from listguard.store import LoadReport, Store


@dataclass
class Candidate:
    """A path that one parser module claims."""

    path: Path
    module: object

    @property
    def dataset(self) -> str:
        return str(getattr(self.module, "DATASET"))


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
    folders of the same list load oldest first), and the files no parser claimed.
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
        if module is not None:
            found.append(Candidate(path, module))
        elif path.is_file():
            unknown.append(path)

    for path in paths:
        if not path.exists():
            raise SourceError(path, "no such file or folder")
        visit(path, explicit=True)
    # An OFAC folder also contains sdn.csv: claim the folder once, not each CSV inside it.
    return found, unknown


def _claim(path: Path) -> object | None:
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
) -> LoadReport:
    """Parse one publication completely, then write it as a new version.

    ``dataset`` names the dataset of formats that do not fix it themselves (FollowTheMoney
    files); official formats always load under their own dataset name.
    """
    parse = getattr(candidate.module, "parse")
    if dataset is not None:
        if candidate.dataset != "ftm":
            raise SourceError(
                candidate.path,
                f"--dataset only names FollowTheMoney imports; this is {candidate.dataset}",
            )
        result = parse(candidate.path, dataset=dataset)
    else:
        result = parse(candidate.path)
    if not result.entities:
        raise SourceError(
            candidate.path,
            "no entries found; the file may be an empty or partial download. The current "
            "version was kept",
        )
    if on_parsed:
        on_parsed(len(result.entities))
    return store.load(
        result,
        source=str(candidate.path.resolve()),
        force=force,
        title=getattr(candidate.module, "TITLE", None),
        progress=progress,
        loaded_by=loaded_by,
    )
