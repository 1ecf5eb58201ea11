"""The ``listguard`` command line.

Commands that touch lists live here; screening, evaluation, monitoring and serving register
their own commands from :mod:`listguard.commands` so this module stays about the store.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any, Iterable, Optional

import orjson
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from listguard import __version__, settings
from listguard.sources.base import SourceError
from listguard.termout import hide_flag_types, print_table

app = typer.Typer(
    name="listguard",
    help=(
        "Sanctions and watchlist screening: load the official lists into a versioned store, "
        "see what changed, and screen names against them.\n\n"
        "Example: listguard load ../shared/data/lists && listguard sources"
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)
hide_flag_types()


def _store():  # type: ignore[no-untyped-def]
    from listguard.store import open_store

    return open_store()


def fail(message: str, code: int = 1) -> "typer.Exit":
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@app.callback(invoke_without_command=True)
def main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """listguard: sanctions screening on an embedded store (``$LISTGUARD_HOME``)."""
    if version:
        console.print(f"listguard {__version__}")
        raise typer.Exit(0)


# --------------------------------------------------------------------------------------- load
@app.command()
def load(
    paths: Annotated[
        Optional[list[Path]],
        typer.Argument(
            help="List files or folders (folders are searched). Default: $LISTGUARD_LISTS.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Load even if the file equals the current version.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
    dataset: Annotated[
        Optional[str],
        typer.Option("--dataset", help="Dataset name for FollowTheMoney files (default: from the file)."),
    ] = None,
    published: Annotated[
        Optional[str],
        typer.Option(
            "--published",
            metavar="YYYY-MM-DD",
            help="The list's publication date, for formats that do not state one (OFAC CSV, CSL).",
        ),
    ] = None,
    allow_older: Annotated[
        bool,
        typer.Option("--allow-older", help="Make a list current even if it is older than the current version."),
    ] = False,
) -> None:
    """Load official lists as new versions of their datasets; the format is detected.

    Each list loads atomically: a bad file is reported with the place it
    broke and the previous version stays current.

    Examples:

      listguard load ../shared/data/lists     # every list under a folder

      listguard load ../shared/data/lists/ofac/sdn_latest --published 2024-05-03

      LISTGUARD_LISTS=/data/lists listguard load

      listguard load --dataset os_eu_fsf eu_fsf.ftm.json   # FtM, own name

    A list published before the current version is stored (listguard diff
    shows it) but stays non-current unless --allow-older is given.
    FollowTheMoney files load only when named, never from a folder, and
    never under an official list's name.
    """
    from listguard.listdates import parse_published, published_label
    from listguard.loader import Candidate, LoadOutcome, find_lists, load_candidate

    if published is not None:
        try:
            published = parse_published(published)
        except ValueError as exc:
            raise fail(str(exc))

    if not paths:
        default = settings.lists_dir()
        if default is None:
            raise fail("give list files or folders, or set LISTGUARD_LISTS to a folder of lists")
        paths = [default]
    try:
        candidates, unknown = find_lists(paths)
    except SourceError as exc:
        raise fail(str(exc))
    if not candidates:
        ftm_files = [p for p in unknown if _is_ftm(p)]
        hint = (
            f"; {len(ftm_files)} FollowTheMoney file(s) there are samples or exports, loaded only "
            f"when named, e.g. listguard load {ftm_files[0]}"
            if ftm_files
            else ""
        )
        raise fail(f"no official list files found under {', '.join(map(str, paths))}{hint}")
    store = _store()
    outcomes: list[LoadOutcome] = []
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=json_out or not err.is_terminal,
    ) as progress:
        for cand in candidates:
            task = progress.add_task(f"parsing {cand.path.name}", total=None)
            started = time.perf_counter()
            outcome = LoadOutcome(cand.path)

            def parsed(n: int, task: TaskID = task, cand: Candidate = cand) -> None:
                progress.update(task, total=n, completed=0, description=f"storing {cand.path.name}")

            def advance(n: int, task: TaskID = task) -> None:
                progress.advance(task, n)

            try:
                outcome.report = load_candidate(
                    store,
                    cand,
                    force=force,
                    dataset=dataset,
                    published=published,
                    allow_older=allow_older,
                    on_parsed=parsed,
                    progress=advance,
                )
            except SourceError as exc:
                outcome.error = str(exc)
            except ValueError as exc:
                outcome.error = f"{cand.path}: {exc}"
            outcome.seconds = time.perf_counter() - started
            progress.remove_task(task)
            outcomes.append(outcome)
    failed = [o for o in outcomes if o.error]
    if json_out:
        console.print_json(
            orjson.dumps(
                [
                    {
                        "path": str(o.path),
                        "error": o.error,
                        "seconds": round(o.seconds, 3),
                        "dataset": o.report.dataset if o.report else None,
                        "skipped": o.report.skipped if o.report else None,
                        "reason": o.report.reason if o.report else None,
                        "version": o.report.version.to_dict() if o.report and o.report.version else None,
                        "not_current": o.report.not_current if o.report else None,
                        "stats": o.report.stats if o.report else None,
                    }
                    for o in outcomes
                ]
            ).decode()
        )
    else:
        table = Table(title="Loaded lists")
        for col in ("dataset", "version", "entities", "published", "seconds", "notes"):
            table.add_column(col, justify="right" if col in ("version", "entities", "seconds") else "left")
        for o in outcomes:
            if o.error:
                table.add_row("[red]failed[/]", "", "", "", f"{o.seconds:.2f}", f"[red]{o.error}[/]")
                continue
            assert o.report is not None
            r = o.report
            if r.skipped:
                assert r.previous is not None
                table.add_row(r.dataset, str(r.previous.seq), f"{r.previous.entity_count:,}", published_label(r.previous.published_at, r.previous.warnings), f"{o.seconds:.2f}", f"unchanged: {r.reason}")
                continue
            assert r.version is not None
            # The parser's anomaly counts: the largest few here, all of them in --json.
            top = sorted(r.stats.items(), key=lambda kv: -kv[1])[:3]
            notes = ", ".join(f"{k}={v:,}" for k, v in top)
            if len(r.stats) > 3:
                notes += f" (+{len(r.stats) - 3} more counts in --json)"
            if r.not_current:
                notes = "stored, NOT current (older than the current version; see below)" + (f"; {notes}" if notes else "")
            table.add_row(r.dataset, str(r.version.seq), f"{r.version.entity_count:,}", published_label(r.version.published_at, r.version.warnings), f"{o.seconds:.2f}", notes)
        print_table(console, table, keep=("dataset",))
        from listguard.sources.base import duplicate_note

        for o in outcomes:  # repeated ids are merged: say so here, not only in --json
            if o.report is not None and not o.report.skipped:
                note = duplicate_note(o.report.dataset, o.report.stats, o.report.warnings)
                if note:
                    err.print(f"[yellow]warning:[/] {note}", soft_wrap=True, highlight=False)
        ftm_files = [p for p in unknown if _is_ftm(p)]
        for path in unknown:
            if path not in ftm_files:
                err.print(f"[yellow]skipped[/] {path}: not a known list format", soft_wrap=True, highlight=False)
        if ftm_files:
            err.print(
                f"[yellow]skipped[/] {len(ftm_files)} FollowTheMoney file(s), samples or exports rather "
                "than official lists (a folder load leaves them out; name a file to import it as its "
                f"own dataset, e.g. listguard load {ftm_files[0]}): " + ", ".join(p.name for p in ftm_files),
                soft_wrap=True,
                highlight=False,
            )
        for o in outcomes:
            if o.report is not None and o.report.not_current:
                err.print(f"[yellow]not current:[/] {o.report.not_current}", soft_wrap=True, highlight=False)
        for o in failed:
            err.print(f"[bold red]error:[/] {o.error}", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(1)
    _after_load(outcomes)


def _is_ftm(path: Path) -> bool:
    from listguard.sources import ftm

    try:
        return bool(ftm.detect(path))
    except OSError:
        return False


def _after_load(outcomes: Iterable[object]) -> None:
    """Hook for monitoring: re-screen portfolios when a list changed (see listguard.monitor)."""
    from listguard.commands import monitor

    monitor.after_load(outcomes, err)


# ------------------------------------------------------------------------------------ sources
@app.command()
def sources(
    json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    all_versions: Annotated[
        bool, typer.Option("--all", help="Show every version, not only the current ones.")
    ] = False,
) -> None:
    """List loaded datasets and their versions with entity counts.

    Example: listguard sources --all
    """
    store = _store()
    versions = store.versions() if all_versions or json_out else store.current_versions()
    if json_out:
        by_dataset: dict[str, dict[str, Any]] = {}
        for v in versions:
            entry = by_dataset.setdefault(v.dataset, {"dataset": v.dataset, "current": None, "versions": []})
            entry["versions"].append(v.to_dict())
            if v.current:
                entry["current"] = v.to_dict()
        console.print_json(orjson.dumps({"datasets": list(by_dataset.values())}).decode())
        return
    if not versions:
        console.print("No lists loaded yet. Try: listguard load PATH (see listguard load --help)")
        return
    from listguard.listdates import published_label

    table = Table(title=f"Datasets in {settings.database_url()}")
    for col in ("dataset", "version", "current", "entities", "by schema", "published", "loaded", "checksum"):
        table.add_column(col)
    for v in versions:
        table.add_row(
            v.dataset,
            str(v.seq),
            "yes" if v.current else "",
            f"{v.entity_count:,}",
            ", ".join(f"{k} {n:,}" for k, n in v.counts.items()),
            published_label(v.published_at, v.warnings),
            v.loaded_at[:16].replace("T", " "),
            v.checksum[:12],
        )
    print_table(console, table, keep=("dataset",))


# --------------------------------------------------------------------------------------- diff
@app.command()
def diff(
    dataset: Annotated[str, typer.Argument(help="Dataset name, e.g. us_ofac_sdn.")],
    old: Annotated[Optional[int], typer.Argument(help="Old version number (default: the one before NEW).")] = None,
    new: Annotated[Optional[int], typer.Argument(help="New version number (default: current).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    limit: Annotated[int, typer.Option(help="Rows to show per section in the table.")] = 25,
) -> None:
    """Show entities added, removed and changed between two versions of a list.

    Example: listguard diff us_ofac_sdn          # current vs the version before

    Example: listguard diff us_ofac_sdn 1 2 --json
    """
    from listguard.store.diff import diff_versions, resolve_versions

    store = _store()
    try:
        a, b = resolve_versions(store, dataset, old, new)
    except KeyError as exc:
        raise fail(str(exc.args[0]))
    result = diff_versions(store, a, b)
    if json_out:
        sys.stdout.write(orjson.dumps(result.to_dict()).decode() + "\n")
        return
    from listguard.listdates import published_label

    def when(v) -> str:  # type: ignore[no-untyped-def]
        return f"published {published_label(v.published_at, v.warnings)}, loaded {v.loaded_at[:16].replace('T', ' ')}"

    console.print(
        f"[bold]{dataset}[/] version {a.seq} ({when(a)}) -> "
        f"{b.seq} ({when(b)}): "
        f"[green]{len(result.added):,} added[/], [red]{len(result.removed):,} removed[/], "
        f"[yellow]{len(result.changed):,} changed[/]",
        soft_wrap=True,
    )
    for title, rows in (("Added", result.added), ("Removed", result.removed)):
        if not rows:
            continue
        table = Table(title=f"{title} ({len(rows):,})")
        table.add_column("entity")
        table.add_column("schema")
        table.add_column("name")
        for e in rows[:limit]:
            table.add_row(e.id, e.schema, e.caption)
        if len(rows) > limit:
            table.caption = f"... {len(rows) - limit:,} more (use --limit or --json)"
        print_table(console, table, keep=("entity",))
    if result.changed:
        table = Table(title=f"Changed ({len(result.changed):,})")
        table.add_column("entity")
        table.add_column("name")
        table.add_column("what changed")
        for c in result.changed[:limit]:
            what = "; ".join(
                f"{f.field}: " + ", ".join([f"-{v}" for v in f.removed] + [f"+{v}" for v in f.added])
                for f in c.changes
            )
            table.add_row(c.entity_id, c.caption, what)
        if len(result.changed) > limit:
            table.caption = f"... {len(result.changed) - limit:,} more (use --limit or --json)"
        print_table(console, table, keep=("entity",))


# ------------------------------------------------------------------------------------- export
@app.command()
def export(
    format: Annotated[str, typer.Option("--format", help="Output format: ftm (FollowTheMoney JSON lines).")] = "ftm",
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="File to write (default: stdout).")] = None,
    dataset: Annotated[Optional[list[str]], typer.Option("--dataset", help="Only these datasets (repeatable).")] = None,
) -> None:
    """Export the current versions as FollowTheMoney JSON lines.

    Example: listguard export --format ftm -o lists.ftm.json
    """
    if format != "ftm":
        raise fail(f"unknown format {format!r}; supported: ftm")
    from listguard.export import ExportReport, iter_ftm

    store = _store()
    report = ExportReport()
    fh = open(output, "wb") if output else sys.stdout.buffer
    count = 0
    try:
        for data in iter_ftm(store.current_entities(dataset), report):
            fh.write(orjson.dumps(data) + b"\n")
            count += 1
    finally:
        if output:
            fh.close()
    if output:
        err.print(f"wrote {count:,} FtM entities to {output}")
    # FtM validates values more strictly than the lists do: say what it refused or rewrote.
    for key, n in sorted(report.dropped.items()):
        err.print(f"[yellow]not exported[/] {n:,}: {key}", soft_wrap=True)
    for key, n in sorted(report.changed.items()):
        err.print(f"[dim]rewritten by FtM[/] {n:,}: {key}", soft_wrap=True)


# --------------------------------------------------------------------------------------- show
@app.command()
def show(
    entity_id: Annotated[str, typer.Argument(help="Entity id, e.g. us_ofac_sdn:24979.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Show everything the current list version says about one entity.

    Example: listguard show us_ofac_sdn:24979
    """
    store = _store()
    entity = store.get_entity(entity_id)
    if entity is None:
        raise fail(f"no entity {entity_id!r} in the current versions; try `listguard screen NAME`")
    if json_out:
        data = entity.to_dict()
        data["history"] = store.entity_history(entity_id)
        sys.stdout.write(orjson.dumps(data).decode() + "\n")
        return
    table = Table(title=f"{entity.caption} ({entity.schema}, {entity.id})", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("values")
    for prop, values in entity.properties.items():
        table.add_row(prop, "\n".join(values))
    for ident in entity.identifiers:
        table.add_row(f"id:{ident.type}", f"{ident.number} {ident.country or ''} {ident.note or ''}".strip())
    for w in entity.wallets:
        table.add_row("wallet", f"{w.currency} {w.address}")
    for link in entity.links:
        table.add_row("link", f"{link.relation}: {link.target or ''} {link.target_name or ''}".strip())
    print_table(console, table)
    _print_history(store, entity_id)


def _print_history(store, entity_id: str) -> None:  # type: ignore[no-untyped-def]
    """``show``'s version history: every stored version that has the entity, and what changed."""
    from listguard.listdates import published_label

    history = store.entity_history(entity_id)
    if not history:
        return
    current = {v.id for v in store.current_versions()}
    seqs = {v.id: v.seq for v in store.versions(history[0]["dataset"])}
    table = Table(title=f"Version history of {entity_id}")
    for col in ("dataset", "version", "published", "loaded", "this entity"):
        table.add_column(col)
    previous: dict[str, object] | None = None
    for h in history:
        if previous is None:
            what = "first seen"
        elif seqs.get(h["id"], 0) - seqs.get(previous["id"], 0) > 1:  # type: ignore[operator]
            what = "listed again (absent from the versions in between)"
        elif h["hash"] == previous["hash"]:
            what = "unchanged"
        elif h["screening_hash"] == previous["screening_hash"]:
            what = "changed (details only)"
        else:
            what = "changed (names, dates or identifiers)"
        table.add_row(
            h["dataset"],
            f"{h['seq']}{' (current)' if h['id'] in current else ''}",
            published_label(h["published_at"]),
            str(h["loaded_at"] or "")[:16].replace("T", " "),
            what,
        )
        previous = h
    print_table(console, table)


def _register_commands() -> None:
    """Attach the command groups other modules own (screening, evaluation, monitoring...)."""
    from listguard.commands import evaluation, matching, monitor, serve, text, update

    for module in (update, matching, evaluation, monitor, text, serve):
        module.register(app)


_register_commands()


if __name__ == "__main__":  # pragma: no cover
    app()
