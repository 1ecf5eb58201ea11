"""``listguard screen``, ``screen-file`` and ``compare``: the screening commands.

They read the current versions of the loaded lists from the store, through the on-disk index
cache (:mod:`listguard.index_cache`): the first run after a list changes builds the index
(seconds, with a progress bar), every later run loads it.
"""

from __future__ import annotations

import csv
import io
import sys
import time
from pathlib import Path
from typing import Annotated, Any, Optional

import orjson
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from listguard.termout import print_table

console = Console()
err = Console(stderr=True)

def party_count(index: Any) -> int:
    """Distinct listed parties in the index: what the web UI counts too. (Two FollowTheMoney
    imports may carry the same entity id; it is one party, not two.)"""
    return len({e.id for e in index})


SCHEMA_HELP = "Person, Organization, Company, Vessel, Airplane or LegalEntity (default: any)."


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _progress(quiet: bool) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=quiet or not err.is_terminal,
    )


def _index(quiet: bool = False):  # type: ignore[no-untyped-def]
    """The index over the current lists (cached); exits with a hint when nothing is loaded."""
    from listguard.index_cache import cached_index
    from listguard.store import open_store

    store = open_store()
    if not store.current_versions():
        raise _fail("no lists loaded yet: run `listguard load <list files or folder>` first", 1)
    with _progress(quiet) as progress:
        task = progress.add_task("building the screening index", total=None, visible=False)

        def on_build(total: int) -> None:
            progress.update(task, total=total, visible=True)

        index = cached_index(
            None,
            progress=lambda n: progress.update(task, completed=n),
            on_build=on_build,
            store=store,
        )
    return index


def _check_datasets(index: Any, datasets: list[str] | None) -> list[str] | None:
    if not datasets:
        return None
    unknown = [d for d in datasets if d not in index.datasets]
    if unknown:
        raise _fail(
            f"no loaded list named {', '.join(unknown)}; loaded: {', '.join(index.datasets)}"
        )
    return datasets


# ------------------------------------------------------------------------------- screen
def screen(
    name: Annotated[str, typer.Argument(help="The name to screen, in any script.", show_default=False)],
    schema: Annotated[Optional[str], typer.Option("--schema", "-s", help=SCHEMA_HELP)] = None,
    birth_date: Annotated[
        Optional[list[str]], typer.Option("--birth-date", "-b", help="Birth date, full or partial (1970-02-05, 1970-02, 1970, 05.02.1970, 5 Feb 1970). Repeatable.")
    ] = None,
    country: Annotated[
        Optional[list[str]], typer.Option("--country", "-c", help="Nationality/country: ISO code or name (kp, 'North Korea'). Repeatable.")
    ] = None,
    identifier: Annotated[
        Optional[list[str]], typer.Option("--identifier", "-i", help="Passport, IMO, registration number, BIC or wallet address. Repeatable.")
    ] = None,
    dataset: Annotated[
        Optional[list[str]], typer.Option("--dataset", "-d", help="Only screen against this list (e.g. us_ofac_sdn). Repeatable.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many hits.")] = 5,
    threshold: Annotated[
        Optional[float], typer.Option("--threshold", "-t", min=0.0, max=1.0, help="Match threshold (default: the product default).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the hits as JSON.")] = False,
) -> None:
    """Screen one name against the current versions of the loaded lists.

    Hits are ranked by score (0..1); a hit is a match when its score reaches the threshold.
    Each hit says which listed name matched, how its parts aligned and what the birth date,
    country and identifier did to the score.

    Examples:

      listguard screen "Chong Song-hwa" --schema Person --birth-date 1970 --country kp

      listguard screen "Владимир Путин" --json

      listguard screen "SEA STAR" --schema Vessel --identifier 9270232 --dataset us_ofac_sdn
    """
    from listguard.matching import DEFAULT_THRESHOLD, Query, Screener
    from listguard.querydates import parse_birth_dates

    birth_dates, date_warnings = parse_birth_dates(birth_date or [])
    for warning in date_warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    try:
        query = Query(
            names=[name],
            schema=schema,
            birth_dates=birth_dates,
            countries=country or [],
            identifiers=identifier or [],
        )
    except ValueError as exc:
        raise _fail(str(exc))
    if not query.names and not query.identifiers:
        raise _fail("give a name to screen")
    index = _index(quiet=json_out)
    query.datasets = _check_datasets(index, dataset)
    screener = Screener(index, threshold=threshold)
    started = time.perf_counter()
    hits = screener.screen(query, limit=limit)
    elapsed = time.perf_counter() - started
    th = DEFAULT_THRESHOLD if threshold is None else threshold
    if json_out:
        sys.stdout.write(
            orjson.dumps(
                {"query": name, "threshold": th, "birth_dates": query.birth_dates, "warnings": date_warnings, "hits": [h.to_dict() for h in hits]},
                option=orjson.OPT_INDENT_2,
            ).decode()
            + "\n"
        )
        return
    if not hits:
        console.print(f"No hits for [bold]{name}[/] against {party_count(index):,} listed parties ({elapsed * 1000:.1f} ms).")
        return
    table = Table(title=f"Screening {name!r} (threshold {th:.2f})", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("match")
    table.add_column("entity id")
    table.add_column("listed party")
    table.add_column("matched name")
    table.add_column("why", ratio=3)
    for rank, hit in enumerate(hits, 1):
        party = Text(f"{hit.caption}\n", style="bold")
        party.append(f"{hit.schema} · {', '.join(hit.datasets)}", style="dim")
        table.add_row(
            str(rank),
            f"{hit.score:.3f}",
            Text("MATCH", style="bold red") if hit.match else Text("no", style="dim"),
            hit.entity_id,
            party,
            hit.matched_name,
            hit.explanation.summary,
        )
    if console.is_terminal:
        # One block per hit: ids whole, the explanation wrapped at word boundaries at any width.
        console.print(Text(str(table.title), style="italic"))
        for rank, hit in enumerate(hits, 1):
            head = Text(f"{rank}. ")
            head.append(f"{hit.score:.3f} ", style="bold")
            head.append("MATCH " if hit.match else "no match ", style="bold red" if hit.match else "dim")
            head.append(hit.entity_id, style="cyan")
            console.print(head, overflow="fold")
            body = Text()
            body.append(hit.caption, style="bold")
            body.append(f" ({hit.schema} · {', '.join(hit.datasets)})", style="dim")
            body.append(f"\nmatched name: {hit.matched_name}\nwhy: {hit.explanation.summary}")
            console.print(Padding(body, (0, 0, 0, 3)))
        return
    print_table(console, table, keep=("entity id",))
    err.print(f"{party_count(index):,} listed parties screened in {elapsed * 1000:.1f} ms", style="dim")


# -------------------------------------------------------------------------- screen-file
class _RateColumn(ProgressColumn):
    """Rows per second, for the batch progress bar."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "- rows/s", style="progress.data.speed")


def screen_file(
    input: Annotated[
        Path,
        typer.Argument(
            help="Customer file: CSV (delimiter sniffed), JSON lines or Parquet, with columns id,name and "
            "optionally schema,birth_date,country,identifier (or your own names, see --map).",
            exists=True,
            dir_okay=False,
            show_default=False,
        ),
    ],
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Results: .jsonl (one object per row), .csv or .parquet (one row per hit); - for JSON lines on stdout."),
    ] = Path("-"),
    map_: Annotated[
        Optional[list[str]],
        typer.Option("--map", "-m", help="Your column names: id=customer_no,name=full_name,birth_date=dob (repeatable)."),
    ] = None,
    report: Annotated[Optional[Path], typer.Option("--report", help="Also write an HTML summary for a compliance officer.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted run into the same output (same input and options).")] = False,
    input_format: Annotated[Optional[str], typer.Option("--format", help="Input format: csv, jsonl or parquet (default: from the file).")] = None,
    output_format: Annotated[Optional[str], typer.Option("--output-format", help="Output format: jsonl, csv or parquet (default: from -o).")] = None,
    encoding: Annotated[str, typer.Option("--encoding", help="Text encoding of a CSV or JSON lines input.")] = "utf-8",
    dataset: Annotated[
        Optional[list[str]], typer.Option("--dataset", "-d", help="Only screen against this list. Repeatable.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many hits per row.")] = 5,
    threshold: Annotated[
        Optional[float], typer.Option("--threshold", "-t", min=0.0, max=1.0, help="Match threshold (default: the product default).")
    ] = None,
    workers: Annotated[int, typer.Option("--workers", "-w", min=0, help="Processes to use (0: one per core).")] = 0,
) -> None:
    """Screen every row of a customer file; results in input order, memory flat however large.

    JSON lines output: one {"id", "line", "hits": [{"entity_id", "score", "match", "caption",
    "schema", "matched_name", "datasets", "explanation"}, ...]} per row, hits sorted by score.
    A row that cannot be screened (no name, broken encoding, bad schema) gets "error" and the
    run goes on; a bad birth date is a "warnings" entry (the row is still screened by name).
    Cells may hold several values separated by ";" (two countries, two passports). Every run
    is written to the audit trail. Interrupted? Run the same command with --resume.

    Examples:

      listguard screen-file customers.csv -o hits.jsonl

      listguard screen-file crm.parquet --map id=customer_no,name=full_name,birth_date=dob -o hits.csv --report report.html

      listguard screen-file vessels.csv -o hits.jsonl --dataset us_ofac_sdn --threshold 0.85
    """
    import os
    import shutil
    import tempfile

    from listguard import audit
    from listguard.batch import BatchError, parse_map, screen_file as run_batch
    from listguard.matching import Screener
    from listguard.store import open_store

    to_stdout = str(output) == "-"
    if to_stdout and resume:
        raise _fail("--resume continues a results file: give it with -o FILE")
    try:
        mapping = parse_map(map_)
    except BatchError as exc:
        raise _fail(str(exc)) from None
    index = _index()
    datasets = _check_datasets(index, dataset)
    store = open_store()
    versions = store.current_versions()
    if datasets:
        versions = [v for v in versions if v.dataset in datasets]
    screener = Screener(index, threshold=threshold)

    def programs(entity_id: str) -> list[str]:
        try:
            return list(index.get(entity_id).get("program"))
        except KeyError:
            return []

    tmpdir = tempfile.mkdtemp(prefix="listguard-screen-file-") if to_stdout else None
    target = Path(tmpdir) / "results.jsonl" if tmpdir else output
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as progress:
            task = progress.add_task(f"screening {input.name}", total=None)

            def on_progress(done: int, total: int | None) -> None:
                progress.update(task, completed=done, total=total)

            summary = run_batch(
                screener,
                input,
                target,
                fmt=input_format,
                out_fmt="jsonl" if to_stdout else output_format,
                mapping=mapping,
                encoding=encoding,
                limit=limit,
                threshold=threshold,
                report=report,
                resume=resume,
                workers=workers or (os.cpu_count() or 1),
                progress=on_progress,
                programs=programs,
                lists=[v.to_dict() for v in versions],
                datasets=datasets,
            )
        if tmpdir:
            with open(target, "rb") as fh:
                shutil.copyfileobj(fh, sys.stdout.buffer)
            sys.stdout.flush()
    except BatchError as exc:
        raise _fail(str(exc)) from None
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
    audit.record(
        store.engine,
        "screen_file",
        None,
        {
            "input": str(input),
            "output": None if to_stdout else str(output),
            "rows": summary.rows,
            "screened": summary.screened,
            "rejected": summary.rejected,
            "rows_with_match": summary.rows_with_match,
            "threshold": screener.threshold,
            "datasets": datasets,
            "resumed_from": summary.resumed_from,
        },
        [v.id for v in versions],
    )
    rate = (summary.rows - summary.resumed_from) / summary.seconds if summary.seconds else 0.0
    err.print(
        f"{summary.rows:,} rows ({summary.screened:,} screened, {summary.rejected:,} not screened: see \"error\" rows) "
        f"against {party_count(index):,} listed parties in {summary.seconds:.1f} s ({rate:,.0f} rows/s); "
        f"{summary.rows_with_match:,} with a match; "
        f"{summary.warnings:,} warning{'' if summary.warnings == 1 else 's'}"
        + (" (bad or ambiguous birth dates, unknown countries, duplicate ids: see \"warnings\" in the results)" if summary.warnings else "")
        + ("" if to_stdout else f"; written to {output}")
        + (f"; report {report}" if report else ""),
        highlight=False,
        soft_wrap=True,
    )


# ------------------------------------------------------------------------------ compare
def compare(
    input: Annotated[Path, typer.Argument(help="CSV with columns schema,name1,name2 (others are passed through).", exists=True, dir_okay=False, show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV file to write (- for stdout).")] = Path("-"),
    threshold: Annotated[
        Optional[float], typer.Option("--threshold", "-t", min=0.0, max=1.0, help="Match threshold (default: the product default).")
    ] = None,
) -> None:
    """Score name pairs: adds the columns score (0..1) and match to every row.

    name1 is read as the query and name2 as the listed name; schema applies to both (empty:
    any). Used to evaluate the matcher on labelled pairs.

    Examples:

      listguard compare ../shared/data/eval/name_pairs_dev.csv -o scored.csv

      listguard compare pairs.csv --threshold 0.85 > scored.csv
    """
    from listguard.matching import DEFAULT_THRESHOLD, compare_names

    th = DEFAULT_THRESHOLD if threshold is None else threshold
    with open(input, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or [])
        missing = [c for c in ("name1", "name2") if c not in fields]
        if missing:
            raise _fail(f"{input}: missing column(s) {', '.join(missing)}; expected schema,name1,name2")
        rows = list(reader)
    out_fields = fields + [f for f in ("score", "match") if f not in fields]
    buf: io.TextIOBase
    close = False
    if str(output) == "-":
        buf = sys.stdout  # type: ignore[assignment]
    else:
        buf = open(output, "w", newline="", encoding="utf-8")
        close = True
    started = time.perf_counter()
    matched = 0
    try:
        from listguard.csvsafe import SafeDictWriter

        writer = SafeDictWriter(buf, fieldnames=out_fields)  # no live formulas (csvsafe)
        writer.writeheader()
        with _progress(str(output) == "-") as progress:
            task = progress.add_task(f"comparing {input.name}", total=len(rows))
            for i, row in enumerate(rows, 1):
                schema = (row.get("schema") or "").strip() or None
                score = compare_names(schema, row.get("name1") or "", row.get("name2") or "")
                row["score"] = f"{score:.3f}"
                row["match"] = "true" if score >= th else "false"
                matched += score >= th
                writer.writerow(row)
                if i % 500 == 0:
                    progress.update(task, completed=i)
    finally:
        if close:
            buf.close()
    elapsed = time.perf_counter() - started
    err.print(
        f"{len(rows):,} pairs scored in {elapsed:.2f} s; {matched:,} at or above {th:.2f}"
        + ("" if str(output) == "-" else f"; written to {output}"),
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``screen``, ``screen-file`` and ``compare`` to the ``listguard`` CLI."""
    app.command("screen")(screen)
    app.command("screen-file")(screen_file)
    app.command("compare")(compare)
