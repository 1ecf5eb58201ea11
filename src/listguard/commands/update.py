"""``listguard update``: download lists from their publishers and load what changed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table

from listguard.termout import print_table

console = Console()
err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    @app.command()
    def update(
        datasets: Annotated[
            Optional[list[str]],
            typer.Argument(help="Datasets to update (default: every configured one).", show_default=False),
        ] = None,
        force: Annotated[bool, typer.Option("--force", help="Load even if the download did not change.")] = False,
        retries: Annotated[int, typer.Option(help="Extra attempts per file on 5xx/429/timeouts.")] = 3,
        timeout: Annotated[
            Optional[float],
            typer.Option("--timeout", help="Deadline in seconds for each file, every retry included (default: $LISTGUARD_UPDATE_TIMEOUT or 900).", show_default=False),
        ] = None,
    ) -> None:
        """Download the official lists (conditional requests, size limit, retries) and load new versions.

        Sources come from the built-in registry of official URLs, overridden by
        $LISTGUARD_HOME/sources.toml, or by LISTGUARD_SOURCE_BASE_URL for a local mirror.

        Examples:

          listguard update                                  # every list, from the publishers

          listguard update un_sc_sanctions us_ofac_sdn

          LISTGUARD_SOURCE_BASE_URL=http://127.0.0.1:8080 listguard update un_sc_sanctions
        """
        from listguard.listdates import latest_http_date
        from listguard.loader import find_lists, load_candidate
        from listguard.sources.base import SourceError
        from listguard.store import open_store
        from listguard.update import (
            UpdateError,
            dataset_names,
            default_download_dir,
            default_state_path,
            fetch_dataset,
            load_config,
            load_state,
            record_fetch,
            save_state,
        )

        from listguard import settings
        from listguard.update import clean_stale_downloads

        try:
            config = load_config()
            deadline = settings.update_timeout() if timeout is None else timeout
            if not deadline > 0:
                raise ValueError(f"--timeout {timeout:g}: give a number of seconds above 0")
        except ValueError as exc:
            err.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(1)
        # .part files a killed run left in any dataset's download folder
        clean_stale_downloads(settings.home() / "downloads")
        names = datasets or dataset_names(config)
        state_path = default_state_path()
        state = load_state(state_path)
        store = open_store()
        rows: list[tuple[str, str, str]] = []
        failures = 0
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as progress:
            tasks: dict[tuple[str, str], Any] = {}

            def on_progress(dataset: str, name: str, done: int, total: int | None) -> None:
                key = (dataset, name)
                if key not in tasks:
                    tasks[key] = progress.add_task(f"{dataset} {name}", total=total)
                progress.update(tasks[key], completed=done, total=total)

            for dataset in names:
                try:
                    fetched = fetch_dataset(
                        dataset,
                        default_download_dir(dataset),
                        state,
                        progress=on_progress,
                        retries=retries,
                        total_timeout=deadline,
                    )
                except UpdateError as exc:
                    failures += 1
                    rows.append((dataset, "[red]download failed[/]", str(exc)))
                    continue
                if fetched.not_modified and not force:
                    rows.append((dataset, "not modified", f"{len(fetched.files)} file(s), nothing to load"))
                    continue
                try:
                    candidates, _ = find_lists([fetched.load_path])
                    if len(candidates) != 1:
                        raise SourceError(fetched.load_path, f"expected one list, found {len(candidates)}")
                    # The file's own date wins; else the publisher's Last-Modified.
                    report = load_candidate(
                        store,
                        candidates[0],
                        force=force,
                        loaded_by="listguard update",
                        published_default=latest_http_date(f.last_modified for f in fetched.files),
                    )
                except (SourceError, ValueError) as exc:
                    failures += 1
                    rows.append((dataset, "[red]load failed[/]", f"{exc} (previous version kept)"))
                    continue
                # Only now is the download known good: remember its validators.
                record_fetch(state, fetched)
                save_state(state_path, state)
                if report.skipped:
                    rows.append((dataset, "unchanged", report.reason or ""))
                elif report.not_current:
                    rows.append((dataset, "[yellow]older, not current[/]", report.not_current))
                else:
                    assert report.version is not None
                    rows.append(
                        (
                            dataset,
                            f"[green]version {report.version.seq}[/]",
                            f"{report.version.entity_count:,} entities, "
                            f"{fetched.bytes_downloaded:,} bytes in {fetched.elapsed:.1f} s",
                        )
                    )
                    _after_update(report)
                from listguard.sources.base import duplicate_note

                note = None if report.skipped else duplicate_note(dataset, report.stats, report.warnings)
                if note:  # repeated ids were merged: visible here, not only in the stats
                    rows.append((dataset, "[yellow]warning[/]", note))
        table = Table(title="listguard update")
        table.add_column("dataset")
        table.add_column("outcome")
        table.add_column("detail")
        for row in rows:
            table.add_row(*row)
        print_table(console, table, keep=("dataset",))
        if failures:
            raise typer.Exit(1)


def _after_update(report: Any) -> None:
    """Let monitoring re-screen after a new version (same hook as ``listguard load``)."""
    from listguard.commands import monitor
    from listguard.loader import LoadOutcome

    monitor.after_load([LoadOutcome(path=Path(report.version.source), report=report)], err)
