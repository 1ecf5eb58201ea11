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
from typing import Annotated, Any, Iterator, Optional

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

console = Console()
err = Console(stderr=True)

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


def _split(value: str | None) -> list[str]:
    """Cells may hold several values separated by ``;`` (two countries, two passports)."""
    if not value:
        return []
    return [v.strip() for v in value.split(";") if v.strip()]


# ------------------------------------------------------------------------------- screen
def screen(
    name: Annotated[str, typer.Argument(help="The name to screen, in any script.", show_default=False)],
    schema: Annotated[Optional[str], typer.Option("--schema", "-s", help=SCHEMA_HELP)] = None,
    birth_date: Annotated[
        Optional[list[str]], typer.Option("--birth-date", "-b", help="Birth date, full or partial (1970-02-05, 1970-02, 1970). Repeatable.")
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

    try:
        query = Query(
            names=[name],
            schema=schema,
            birth_dates=birth_date or [],
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
                {"query": name, "threshold": th, "hits": [h.to_dict() for h in hits]},
                option=orjson.OPT_INDENT_2,
            ).decode()
            + "\n"
        )
        return
    if not hits:
        console.print(f"No hits for [bold]{name}[/] against {len(index):,} listed parties ({elapsed * 1000:.1f} ms).")
        return
    table = Table(title=f"Screening {name!r} (threshold {th:.2f})", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("match")
    table.add_column("listed party")
    table.add_column("matched name")
    table.add_column("why", ratio=3)
    for rank, hit in enumerate(hits, 1):
        party = Text(f"{hit.caption}\n", style="bold")
        party.append(f"{hit.schema} · {', '.join(hit.datasets)}\n{hit.entity_id}", style="dim")
        table.add_row(
            str(rank),
            f"{hit.score:.3f}",
            Text("MATCH", style="bold red") if hit.match else Text("no", style="dim"),
            party,
            hit.matched_name,
            hit.explanation.summary,
        )
    console.print(table)
    err.print(f"{len(index):,} listed parties screened in {elapsed * 1000:.1f} ms", style="dim")


# -------------------------------------------------------------------------- screen-file
def _read_queries(path: Path) -> tuple[list[str], list[Any]]:
    from listguard.matching import Query

    ids: list[str] = []
    queries: list[Any] = []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        fields = [f.strip().lower() for f in (reader.fieldnames or [])]
        missing = [c for c in ("id", "name") if c not in fields]
        if missing:
            raise _fail(f"{path}: missing column(s) {', '.join(missing)}; expected id,name[,schema,birth_date,country,identifier]")
        for row in reader:
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
            ids.append(row.get("id", ""))
            try:
                queries.append(
                    Query(
                        names=_split(row.get("name")) if ";" in row.get("name", "") else [row.get("name", "")],
                        schema=row.get("schema") or None,
                        birth_dates=_split(row.get("birth_date")),
                        countries=_split(row.get("country")),
                        identifiers=_split(row.get("identifier")),
                    )
                )
            except ValueError as exc:
                queries.append(str(exc))
    return ids, queries


def screen_file(
    input: Annotated[Path, typer.Argument(help="CSV with columns id,name and optionally schema,birth_date,country,identifier.", exists=True, dir_okay=False, show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="JSON lines file to write (- for stdout).")] = Path("-"),
    dataset: Annotated[
        Optional[list[str]], typer.Option("--dataset", "-d", help="Only screen against this list. Repeatable.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many hits per row.")] = 5,
    threshold: Annotated[
        Optional[float], typer.Option("--threshold", "-t", min=0.0, max=1.0, help="Match threshold (default: the product default).")
    ] = None,
    workers: Annotated[int, typer.Option("--workers", "-w", min=0, help="Processes to use (0: one per core).")] = 0,
) -> None:
    """Screen every row of a CSV file; write one JSON object per row, in input order.

    Each output line is {"id": ..., "hits": [{"entity_id", "score", "match", "caption",
    "schema", "matched_name", "datasets", "explanation"}, ...]}, hits sorted by score. Cells may
    hold several values separated by ";" (two countries, two passports).

    Examples:

      listguard screen-file customers.csv -o hits.jsonl

      listguard screen-file vessels.csv -o hits.jsonl --dataset us_ofac_sdn --threshold 0.85
    """
    from listguard.matching import Screener

    ids, queries = _read_queries(input)
    index = _index()
    datasets = _check_datasets(index, dataset)
    runnable = []
    for q in queries:
        if not isinstance(q, str):
            q.datasets = datasets
            runnable.append(q)
    screener = Screener(index, threshold=threshold)
    started = time.perf_counter()
    with _progress(False) as progress:
        task = progress.add_task(f"screening {input.name}", total=len(runnable))
        results = screener.screen_many(
            runnable,
            limit=limit,
            workers=workers,
            progress=lambda n: progress.update(task, completed=n),
        )
    elapsed = time.perf_counter() - started
    out = sys.stdout.buffer if str(output) == "-" else open(output, "wb")
    matched = 0
    try:
        it: Iterator[list[Any]] = iter(results)
        for row_id, q in zip(ids, queries):
            if isinstance(q, str):
                out.write(orjson.dumps({"id": row_id, "hits": [], "error": q}) + b"\n")
                continue
            hits = next(it)
            if any(h.match for h in hits):
                matched += 1
            out.write(orjson.dumps({"id": row_id, "hits": [h.to_dict() for h in hits]}) + b"\n")
    finally:
        if out is not sys.stdout.buffer:
            out.close()
    rate = len(runnable) / elapsed if elapsed > 0 else float("inf")
    err.print(
        f"{len(queries):,} rows screened against {len(index):,} listed parties in {elapsed:.1f} s "
        f"({rate:,.0f} rows/s); {matched:,} with a match"
        + ("" if str(output) == "-" else f"; written to {output}"),
        highlight=False,
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
        writer = csv.DictWriter(buf, fieldnames=out_fields)
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
