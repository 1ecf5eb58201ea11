"""What happens after a list loads: audit the load, then re-screen every portfolio.

``listguard load`` and ``listguard update`` call :func:`after_load` once the new versions are
committed. A bank wants the answer to "which customers match the new entries" the moment the
new list is in, not at the next batch window; and since a run costs in proportion to the delta
it is cheap enough to do every time. ``LISTGUARD_MONITOR_AUTO=0`` turns the automatic run off
(then ``listguard monitor run`` does it).

A monitoring failure never undoes or fails the load that triggered it: the lists *are* loaded,
the portfolios' watermarks did not move, and the next run (automatic or by hand) re-screens the
same delta. The error is printed with that advice, and :func:`after_load` returns False.

This is the domain side: it reports progress through a callback and hands the run reports to
``on_runs``; the commands (``listguard load``, ``listguard update``) wrap it with a progress
bar and the runs' table (:func:`listguard.commands.monitor.after_load`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable, Iterable

from rich.console import Console

if TYPE_CHECKING:  # rescreen (and the matcher behind it) loads only when a run is due
    from listguard.monitor.rescreen import Progress, RunReport


def _reports(outcomes: Iterable[Any]) -> list[Any]:
    out = []
    for outcome in outcomes:
        report = getattr(outcome, "report", None)
        if report is not None and not getattr(report, "skipped", False) and getattr(report, "version", None) is not None:
            out.append(report)
    return out


def after_load(
    outcomes: Iterable[Any],
    console: Console | None = None,
    *,
    progress: Progress | None = None,
    on_runs: Callable[[list[RunReport]], None] | None = None,
) -> bool:
    """Audit each new version, then run monitoring for all portfolios; True if all went well.

    ``progress(message, done, total)`` follows the runs; ``on_runs`` receives their reports.
    """
    from listguard import audit
    from listguard.store import open_store

    console = console or Console(stderr=True)
    reports = _reports(outcomes)
    if not reports:
        return True
    store = open_store()
    try:
        for report in reports:
            loaded_by = getattr(report.version, "loaded_by", None)
            action = "update" if loaded_by == "listguard update" else "load"
            actor = audit.whoami() if action == "update" or not loaded_by else loaded_by
            audit.record_load(store.engine, report, actor=actor, action=action)
    except Exception as exc:  # the load stands; say the audit entry is missing
        console.print(f"[bold red]audit:[/] could not record the load ({type(exc).__name__}: {exc})")
        return False
    if os.environ.get("LISTGUARD_MONITOR_AUTO", "1").strip().lower() in ("0", "false", "no", "off"):
        return True
    from listguard.monitor.portfolio import portfolio_names

    if not portfolio_names(store.engine):
        return True
    try:
        from listguard.monitor.rescreen import run_all

        results = run_all(store, actor=None, trigger="load", progress=progress, deliver=True)
        if on_runs is not None:
            on_runs(results)
        return True
    except Exception as exc:
        console.print(
            f"[bold red]monitoring:[/] re-screening after the load failed ({type(exc).__name__}: {exc}). "
            "The lists are loaded; run `listguard monitor run` to re-screen."
        )
        return False
