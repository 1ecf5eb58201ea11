"""CLI for ongoing monitoring: portfolios, runs, alerts, decisions, the audit trail, webhooks.

Registered by :func:`listguard.cli._register_commands` through :func:`register`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Callable, Iterable, Optional

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
    TimeRemainingColumn,
)
from rich.table import Table

from listguard.termout import print_table

console = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    # soft_wrap: one line per message, however long (paths), so logs and greps see it whole
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _store() -> Any:
    from listguard.monitor.schema import ensure_schema
    from listguard.store import open_store

    store = open_store()
    ensure_schema(store.engine)
    return store


def _json(data: Any) -> None:
    sys.stdout.write(orjson.dumps(data, default=str).decode() + "\n")


def _progress(console_: Console, disable: bool = False) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console_,
        transient=True,
        disable=disable or not console_.is_terminal,
    )


def run_with_progress(
    store: Any,
    *,
    trigger: str,
    console: Console,
    portfolio: str | None = None,
    actor: str | None = None,
    deliver: bool = True,
    quiet: bool = False,
) -> list[Any]:
    """Run one portfolio (or all) with a Rich progress bar on ``console``."""
    from listguard.monitor.rescreen import run, run_all

    with _progress(console, disable=quiet) as progress:
        on_progress = _bar_callback(progress)
        if portfolio:
            return [run(store, portfolio, actor=actor, trigger=trigger, progress=on_progress, deliver=deliver)]
        return run_all(store, actor=actor, trigger=trigger, progress=on_progress, deliver=deliver)


def _bar_callback(progress: Progress) -> Callable[[str, int, int | None], None]:
    """A monitoring ``progress(message, done, total)`` callback that drives ``progress``."""
    import time

    task: TaskID | None = None
    started = time.perf_counter()

    def on_progress(message: str, done: int, total: int | None) -> None:
        nonlocal task, started
        if task is None:
            task = progress.add_task(message, total=total, rate="")
        if total is None and done == 0:
            progress.update(task, description=message, total=None, completed=0, rate="")
            started = time.perf_counter()
            return
        elapsed = max(time.perf_counter() - started, 1e-6)
        progress.update(task, description=message, total=total, completed=done, rate=f"{done / elapsed:,.0f}/s" if done else "")

    return on_progress


def after_load(outcomes: Iterable[Any], console: Console) -> bool:
    """After ``listguard load`` or ``update``: :func:`listguard.monitor.hooks.after_load` (audit,
    then re-screen every portfolio) with a progress bar and the runs' table on ``console``."""
    from listguard.monitor import hooks

    with _progress(console) as progress:
        return hooks.after_load(
            outcomes,
            console=console,
            progress=_bar_callback(progress),
            on_runs=lambda runs: print_run_reports(runs, console),
        )


def print_run_reports(reports: list[Any], out: Console) -> None:
    """A compact table of what each run did, then the alerts it raised."""
    if not reports:
        out.print("No portfolios to screen. Add one: listguard monitor add customers.csv")
        return
    table = Table(title="Monitoring runs")
    for col in ("portfolio", "run", "records screened", "list delta", "candidates", "raised", "closed", "kept cleared", "seconds"):
        table.add_column(col, justify="right" if col in ("run", "records screened", "candidates", "kept cleared", "seconds") else "left")
    for r in reports:
        delta = f"+{r.entities_added:,} ~{r.entities_changed:,} -{r.entities_removed:,}"
        raised = ", ".join(f"{k} {v}" for k, v in sorted(r.raised.items())) or "none"
        closed = ", ".join(f"{k} {v}" for k, v in sorted(r.closed.items())) or "-"
        kept = r.suppressed_false_positive + r.suppressed_allowed
        table.add_row(r.portfolio, str(r.run_id), f"{r.records_screened:,}", delta, f"{r.candidates_retrieved:,}", raised, closed, f"{kept:,}", f"{r.seconds:.2f}")
    print_table(out, table, keep=("portfolio",))
    for r in reports:
        if r.note:
            out.print(f"[yellow]{r.portfolio}:[/] {r.note}")
        if r.deliveries and (r.deliveries.get("retrying") or r.deliveries.get("failed") or r.deliveries.get("pending")):
            out.print(
                f"[yellow]webhooks:[/] {r.deliveries['delivered']} delivered, {r.deliveries['pending']} pending, "
                f"{r.deliveries['failed']} failed (see `listguard webhook log`)"
            )
    ids = [i for r in reports for i in r.alert_ids]
    if ids:
        from listguard.monitor.alerts import get_alert

        store = _store()
        rows = [a for a in (get_alert(store.engine, i) for i in ids[:25]) if a]
        more = ""
        if len(ids) > len(rows):
            portfolios = sorted({r.portfolio for r in reports if r.alert_ids})
            where = f" --portfolio {portfolios[0]}" if len(portfolios) == 1 else ""
            more = (
                f"{len(rows)} of {len(ids):,} shown; {len(ids) - len(rows):,} more: "
                f"listguard alerts{where} --limit 0 (or --json)"
            )
        _alerts_table(rows, out, title=f"Alerts raised ({len(ids):,})", caption=more)


def _summary(alert: dict[str, Any]) -> str:
    expl = alert.get("explanation")
    if isinstance(expl, dict):
        return str(expl.get("summary") or "")
    return str(expl or "")


def _changes_text(changes: list[dict[str, Any]]) -> str:
    parts = []
    for c in changes or []:
        vals = [f"-{v}" for v in c.get("removed", [])] + [f"+{v}" for v in c.get("added", [])]
        parts.append(f"{c.get('side', '')}.{c.get('field')}: {', '.join(map(str, vals))}")
    return "; ".join(parts)


def _alerts_table(rows: list[dict[str, Any]], out: Console, title: str = "Alerts", caption: str = "") -> None:
    table = Table(title=title, caption=caption or None, caption_justify="left")
    for col in ("id", "status", "reason", "portfolio", "record", "entity id", "listed name", "score", "version", "what changed / why"):
        table.add_column(col, justify="right" if col in ("id", "score", "version") else "left")
    for a in rows:
        status = a["status"] + (f" ({a['closed_reason']})" if a.get("closed_reason") else "")
        why = _changes_text(a.get("changes") or []) or _summary(a)
        table.add_row(
            str(a["id"]),
            status,
            a["reason"],
            a["portfolio"],
            f"{a['record_id']}: {a['record_name']}",
            a["entity_id"],
            a["caption"],
            f"{a['score']:.3f}",
            f"{a['dataset']} v{a.get('version') or '?'}",
            why,
        )
    print_table(out, table, keep=("entity id",))


def register(app: typer.Typer) -> None:
    monitor_app = typer.Typer(
        help=(
            "Ongoing monitoring of customer portfolios: screen them once, then re-screen only "
            "what a list change or a record change touches.\n\n"
            "Example: listguard monitor add customers.csv --portfolio retail && listguard alerts"
        ),
        no_args_is_help=True,
    )
    webhook_app = typer.Typer(
        help=(
            "Send new alerts to other systems as signed JSON POSTs.\n\n"
            "Example: listguard webhook add https://cases.example.com/hook --secret s3cr3t-value"
        ),
        no_args_is_help=True,
    )
    app.add_typer(monitor_app, name="monitor")
    app.add_typer(webhook_app, name="webhook")

    # ----------------------------------------------------------------------- monitor add
    @monitor_app.command("add")
    def monitor_add(
        path: Annotated[Path, typer.Argument(help="Customer file: CSV, JSON lines or Parquet.")],
        portfolio: Annotated[str, typer.Option("--portfolio", "-p", help="Portfolio name.")] = "default",
        map_: Annotated[Optional[list[str]], typer.Option("--map", help="Your column names: id=customer_no,name=full_name,birth_date=dob,country=nat,identifier=passport,schema=type")] = None,
        fmt: Annotated[Optional[str], typer.Option("--format", help="csv, jsonl or parquet (default: from the file name).")] = None,
        encoding: Annotated[str, typer.Option(help="Text encoding of a CSV file.")] = "utf-8",
        screen: Annotated[bool, typer.Option("--screen/--no-screen", help="Screen the new and changed records now.")] = True,
        by: Annotated[Optional[str], typer.Option("--by", help="Who is adding (for the audit trail; default: $LISTGUARD_USER or the OS user).")] = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
    ) -> None:
        """Register customer records in a portfolio and screen them; matches become alerts.

        Re-adding a record with the same id updates it; only new or changed records are
        screened again. Rows with no name, a duplicate id or broken encoding are reported
        (with their line) and skipped; a bad birth date is reported and ignored.

        Examples:

          listguard monitor add customers.csv --portfolio retail

          listguard monitor add export.parquet --map id=customer_no,name=full_name,birth_date=dob
        """
        from listguard.batch import BatchError, count_rows, parse_map, read_rows
        from listguard.monitor.portfolio import add_records

        store = _store()
        try:
            mapping = parse_map(map_)
            rows = read_rows(path, fmt=fmt, mapping=mapping, encoding=encoding, unique_ids=True)
            total = count_rows(path, fmt)
            with _progress(err, disable=json_out) as progress:
                task = progress.add_task(f"reading {path.name}", total=total, rate="")
                report = add_records(
                    store.engine,
                    portfolio,
                    rows,
                    actor=by,
                    source=str(path),
                    progress=lambda n: progress.advance(task, n),
                )
        except BatchError as exc:
            raise _fail(str(exc))
        except ValueError as exc:
            raise _fail(str(exc))
        runs: list[Any] = []
        if screen:
            runs = run_with_progress(store, trigger="add", console=err, portfolio=portfolio, actor=by, quiet=json_out)
        if report.added or report.updated:
            # Index the records for delta re-screening now, so the next list update only
            # searches them (else that re-screen builds the index first: ~1 min per million).
            from listguard.monitor.portfolio import PortfolioIndex

            with _progress(err, disable=json_out) as progress:
                progress.add_task(f"indexing portfolio {portfolio} for re-screening", total=None, rate="")
                try:
                    PortfolioIndex(store.engine, portfolio).refresh()
                except OSError as exc:  # the cache folder: the next run builds it instead
                    err.print(f"[yellow]warning[/] portfolio index not cached ({exc}); the next re-screen builds it")
        if json_out:
            _json({"add": report.to_dict(), "runs": [r.to_dict() for r in runs]})
            return
        console.print(
            f"[bold]{portfolio}[/]: {report.read:,} rows read, [green]{report.added:,} added[/], "
            f"[yellow]{report.updated:,} updated[/], {report.unchanged:,} unchanged, "
            f"[red]{report.error_count:,} rejected[/], {report.warning_count:,} warnings"
        )
        for e in report.errors[:20]:
            err.print(f"[red]rejected[/] {path}: {e}", highlight=False, soft_wrap=True)
        if report.error_count > 20:
            err.print(f"... {report.error_count - 20:,} more rejected rows (use --json for all, up to 1,000)")
        for w in report.warnings[:10]:
            err.print(f"[yellow]warning[/] {path}: {w}", highlight=False, soft_wrap=True)
        if report.warning_count > 10:
            err.print(f"... {report.warning_count - 10:,} more warnings (use --json)")
        if runs:
            print_run_reports(runs, console)
        elif not screen:
            console.print("Not screened yet: run `listguard monitor run`.")

    # ----------------------------------------------------------------------- monitor run
    @monitor_app.command("run")
    def monitor_run(
        portfolio: Annotated[Optional[str], typer.Option("--portfolio", "-p", help="Only this portfolio (default: all).")] = None,
        by: Annotated[Optional[str], typer.Option("--by", help="Who runs it (audit trail).")] = None,
        deliver: Annotated[bool, typer.Option("--deliver/--no-deliver", help="Deliver webhooks after the run.")] = True,
        json_out: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
    ) -> None:
        """Re-screen portfolios: only what the list delta and the record changes touch.

        A list load does this automatically; run it by hand after `monitor add --no-screen`,
        after a failed automatic run, or from a scheduler.

        Example: listguard monitor run --portfolio retail
        """
        store = _store()
        try:
            reports = run_with_progress(store, trigger="run", console=err, portfolio=portfolio, actor=by, deliver=deliver, quiet=json_out)
        except KeyError as exc:
            raise _fail(str(exc.args[0]))
        if json_out:
            _json([r.to_dict() for r in reports])
            return
        print_run_reports(reports, console)

    # ---------------------------------------------------------------------- monitor list
    @monitor_app.command("list")
    def monitor_list(json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False) -> None:
        """List portfolios with their record counts, queued records and open alerts.

        Example: listguard monitor list
        """
        from listguard.monitor.portfolio import portfolio_info, portfolio_names

        store = _store()
        infos = [portfolio_info(store.engine, n) for n in portfolio_names(store.engine)]
        if json_out:
            _json(infos)
            return
        if not infos:
            console.print("No portfolios yet. Add one: listguard monitor add customers.csv")
            return
        table = Table(title="Portfolios")
        for col in ("portfolio", "records", "to screen", "open alerts", "screened against (version ids)", "created"):
            table.add_column(col)
        for i in infos:
            assert i is not None
            table.add_row(i["portfolio"], f"{i['records']:,}", f"{i['to_screen']:,}", f"{i['open_alerts']:,}", ", ".join(f"{d}={v}" for d, v in sorted(i["screened_against"].items())), i["created_at"])
        print_table(console, table, keep=("portfolio",))

    # ---------------------------------------------------------------------------- alerts
    @app.command("alerts")
    def alerts_cmd(
        alert_id: Annotated[Optional[int], typer.Argument(help="Show one alert in full.")] = None,
        status: Annotated[str, typer.Option("--status", help="open, false_positive, true_match, escalated, closed or all.")] = "open",
        portfolio: Annotated[Optional[str], typer.Option("--portfolio", "-p", help="Only this portfolio.")] = None,
        reason: Annotated[Optional[str], typer.Option("--reason", help="initial, new_entity, changed_entity, new_record, changed_record, delisted, allow_expired.")] = None,
        record: Annotated[Optional[str], typer.Option("--record", help="Only alerts of this record id.")] = None,
        entity: Annotated[Optional[str], typer.Option("--entity", help="Only alerts on this entity id.")] = None,
        limit: Annotated[int, typer.Option("--limit", help="At most this many (newest first); 0 = all.")] = 100,
        json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    ) -> None:
        """List alerts (open ones by default), or show one with its explanation and decisions.

        Examples:

          listguard alerts

          listguard alerts --status all --portfolio retail --json

          listguard alerts 42
        """
        from listguard.monitor.alerts import REASONS, STATUSES, get_alert, list_alerts

        store = _store()
        if alert_id is not None:
            alert = get_alert(store.engine, alert_id)
            if alert is None:
                raise _fail(f"no alert {alert_id}; see `listguard alerts --status all`")
            if json_out:
                _json(alert)
                return
            table = Table(title=f"Alert {alert_id}", show_header=False)
            table.add_column("field", style="bold")
            table.add_column("value")
            for key in ("status", "closed_reason", "reason", "portfolio", "record_id", "record_name", "entity_id", "caption", "schema", "dataset", "version", "matched_name", "score", "created_at", "updated_at"):
                if alert.get(key) is not None:
                    table.add_row(key, str(alert[key]))
            table.add_row("record", orjson.dumps(alert["record_data"]).decode())
            table.add_row("explanation", _summary(alert))
            if alert.get("changes"):
                table.add_row("what changed", _changes_text(alert["changes"]))
            for d in alert.get("decisions", []):
                table.add_row("decision", f"{d['decided_at']} {d['decided_by']}: {d['decision']} — {d['reason']}")
            print_table(console, table)
            return
        if status != "all" and status not in STATUSES:
            raise _fail(f"--status {status!r}: use one of {', '.join(STATUSES)} or all")
        if reason and reason not in REASONS:
            raise _fail(f"--reason {reason!r}: use one of {', '.join(REASONS)}")
        rows = list_alerts(store.engine, status=status, portfolio=portfolio, reason=reason, record_id=record, entity_id=entity, limit=limit or None)
        if json_out:
            _json(rows)
            return
        if not rows:
            console.print(f"No {'' if status == 'all' else status + ' '}alerts.")
            return
        caption = ""
        if limit and len(rows) >= limit:
            caption = f"the newest {limit:,} shown; there may be more: --limit 0 shows all (or --json)"
        _alerts_table(rows, console, title=f"Alerts ({status})", caption=caption)

    # ---------------------------------------------------------------------------- decide
    @app.command("decide")
    def decide_cmd(
        alert_id: Annotated[int, typer.Argument(help="The alert id (see `listguard alerts`).")],
        false_positive: Annotated[bool, typer.Option("--false-positive", help="Not the listed party: remembered until the record or the entity changes.")] = False,
        true_match: Annotated[bool, typer.Option("--true-match", help="The customer is the listed party.")] = False,
        escalate: Annotated[bool, typer.Option("--escalate", help="Hand over for a second review.")] = False,
        reason: Annotated[str, typer.Option("--reason", help="Why (required, audited).")] = "",
        by: Annotated[Optional[str], typer.Option("--by", help="Analyst name (default: $LISTGUARD_USER or the OS user).")] = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print the updated alert as JSON.")] = False,
    ) -> None:
        """Record an analyst's decision on an alert.

        Example: listguard decide 42 --false-positive --reason "different date of birth" --by "A. Analyst"
        """
        from listguard.monitor.decisions import DecisionError, decide

        chosen = [name for name, flag in (("false_positive", false_positive), ("true_match", true_match), ("escalate", escalate)) if flag]
        if len(chosen) != 1:
            raise _fail("give exactly one of --false-positive, --true-match, --escalate")
        store = _store()
        try:
            alert = decide(store.engine, alert_id, chosen[0], reason=reason, by=by)
        except DecisionError as exc:
            raise _fail(str(exc))
        if json_out:
            _json(alert)
            return
        console.print(f"alert {alert_id}: [bold]{alert['status']}[/] ({alert['record_id']} / {alert['entity_id']})")

    # ----------------------------------------------------------------------------- allow
    @app.command("allow")
    def allow_cmd(
        record_id: Annotated[Optional[str], typer.Argument(help="Customer record id.")] = None,
        entity_id: Annotated[Optional[str], typer.Argument(help="Listed entity id, e.g. us_ofac_sdn:24979.")] = None,
        reason: Annotated[str, typer.Option("--reason", help="Why this pair is a verified good guy (required).")] = "",
        expires: Annotated[Optional[str], typer.Option("--expires", help="Date the entry lapses (then the pair is re-checked), e.g. 2026-12-31.")] = None,
        portfolio: Annotated[str, typer.Option("--portfolio", "-p", help="Portfolio of the record.")] = "default",
        by: Annotated[Optional[str], typer.Option("--by", help="Who decides (audit trail).")] = None,
        list_: Annotated[bool, typer.Option("--list", help="List the active allow entries.")] = False,
        revoke: Annotated[Optional[int], typer.Option("--revoke", help="Revoke the allow entry with this id.")] = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    ) -> None:
        """Put a (record, entity) pair on the good-guy list: it will not alert while active.

        Examples:

          listguard allow C-1001 us_ofac_sdn:24979 --reason "verified passport, different person" --expires 2027-01-01

          listguard allow --list
        """
        from listguard.monitor.decisions import DecisionError, allow, list_allows, revoke as revoke_allow

        store = _store()
        if list_:
            rows = list_allows(store.engine)
            if json_out:
                _json(rows)
                return
            table = Table(title="Good-guy list (active)")
            for col in ("id", "portfolio", "record", "entity", "reason", "by", "expires"):
                table.add_column(col)
            for r in rows:
                table.add_row(str(r["id"]), r["portfolio"], r["record_id"], r["entity_id"], r["reason"], r["created_by"], r["expires_at"] or "never")
            print_table(console, table, keep=("entity", "record"))
            return
        if revoke is not None:
            if not revoke_allow(store.engine, revoke, by=by):
                raise _fail(f"no active allow entry {revoke}")
            console.print(f"allow entry {revoke} revoked; the next run re-checks the pair")
            return
        if not record_id or not entity_id:
            raise _fail("give RECORD_ID and ENTITY_ID (or --list, or --revoke ID)")
        try:
            entry = allow(store.engine, record_id, entity_id, reason=reason, portfolio=portfolio, by=by, expires=expires)
        except DecisionError as exc:
            raise _fail(str(exc))
        if json_out:
            _json(entry)
            return
        console.print(
            f"allow entry {entry['id']}: {record_id} / {entity_id} "
            f"({'until ' + entry['expires_at'] if entry['expires_at'] else 'no expiry'}); "
            f"{entry['closed_alerts']} open alert(s) closed"
        )

    # ----------------------------------------------------------------------------- audit
    @app.command("audit")
    def audit_cmd(
        verify: Annotated[bool, typer.Option("--verify", help="Check the whole hash chain; exit 1 if anything was edited or deleted.")] = False,
        anchor: Annotated[Optional[str], typer.Option("--anchor", help="SEQ:HASH kept from an earlier export; must still be in the chain.")] = None,
        export: Annotated[Optional[Path], typer.Option("--export", help="Write every entry as JSON lines to this file.")] = None,
        action: Annotated[Optional[str], typer.Option("--action", help="Only entries of this action (load, monitor.run, alert.raise, alert.decide...).")] = None,
        limit: Annotated[int, typer.Option("--limit", help="Entries to show (newest first).")] = 50,
        json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    ) -> None:
        """Show, verify or export the tamper-evident audit trail.

        Examples:

          listguard audit --verify

          listguard audit --export audit-2026-Q1.jsonl

          listguard audit --action alert.decide --limit 20
        """
        from listguard import audit

        store = _store()
        if verify or anchor:
            parsed = None
            if anchor:
                try:
                    anchor_seq, anchor_hash = anchor.split(":", 1)
                    parsed = (int(anchor_seq), anchor_hash.strip())
                except ValueError:
                    raise _fail("--anchor: use SEQ:HASH as printed by `listguard audit --export`")
            ok, problem = audit.verify(store.engine, anchor=parsed)
            seq, digest = audit.head(store.engine)
            if json_out:
                _json({"ok": ok, "entries": seq, "head": f"{seq}:{digest}", "problem": str(problem) if problem else None, "first_bad_entry": problem.seq if problem else None})
            elif ok:
                console.print(f"[green]audit trail intact[/]: {seq:,} entries, head {seq}:{digest}")
            else:
                err.print(f"[bold red]audit trail broken[/] at {problem}")
            if not ok:
                raise typer.Exit(1)
            return
        if export:
            seq, digest = audit.export(store.engine, export)
            if json_out:
                _json({"path": str(export), "entries": seq, "head": f"{seq}:{digest}"})
            else:
                console.print(f"wrote {seq:,} entries to {export}; keep this anchor: [bold]{seq}:{digest}[/]")
            return
        entries = audit.entries(store.engine, limit=limit, action=action)
        if json_out:
            _json([e.to_dict() for e in entries])
            return
        table = Table(title="Audit trail (newest first)")
        for col in ("seq", "at", "actor", "action", "versions", "details"):
            table.add_column(col)
        for e in entries:
            table.add_row(str(e.seq), e.at, e.actor, e.action, ",".join(map(str, e.versions)), orjson.dumps(e.details).decode())
        print_table(console, table)

    # --------------------------------------------------------------------------- webhooks
    @webhook_app.command("add")
    def webhook_add(
        url: Annotated[str, typer.Argument(help="Receiver URL (http:// or https://).")],
        secret: Annotated[str, typer.Option("--secret", help="Shared secret for the HMAC-SHA256 signature.")],
        portfolio: Annotated[Optional[str], typer.Option("--portfolio", "-p", help="Only alerts of this portfolio (default: all).")] = None,
        by: Annotated[Optional[str], typer.Option("--by", help="Who adds it (audit trail).")] = None,
    ) -> None:
        """Register a receiver for new alerts (JSON POST, header X-Listguard-Signature: sha256=...).

        Example: listguard webhook add https://cases.example.com/listguard --secret "$HOOK_SECRET"
        """
        from listguard.monitor.webhooks import add_webhook

        store = _store()
        try:
            hook_id = add_webhook(store.engine, url, secret, portfolio=portfolio, actor=by)
        except ValueError as exc:
            raise _fail(str(exc))
        console.print(f"webhook {hook_id}: {url}")

    @webhook_app.command("list")
    def webhook_list(json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False) -> None:
        """List webhooks (secrets are not shown).

        Example: listguard webhook list
        """
        from listguard.monitor.webhooks import list_webhooks

        rows = list_webhooks(_store().engine)
        if json_out:
            _json(rows)
            return
        table = Table(title="Webhooks")
        for col in ("id", "url", "portfolio", "active", "created"):
            table.add_column(col)
        for r in rows:
            table.add_row(str(r["id"]), r["url"], r["portfolio"] or "all", "yes" if r["active"] else "no", f"{r['created_at']} by {r['created_by']}")
        print_table(console, table, keep=("url",))

    @webhook_app.command("log")
    def webhook_log(
        limit: Annotated[int, typer.Option("--limit", help="Deliveries to show (newest first).")] = 30,
        webhook_id: Annotated[Optional[int], typer.Option("--webhook", help="Only this webhook.")] = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    ) -> None:
        """Show the delivery log: each delivery's status and every attempt.

        Example: listguard webhook log --limit 10
        """
        from listguard.monitor.webhooks import delivery_log

        rows = delivery_log(_store().engine, limit=limit, webhook_id=webhook_id)
        if json_out:
            _json(rows)
            return
        table = Table(title="Webhook deliveries")
        for col in ("id", "webhook", "event", "alert", "status", "attempts", "last", "attempt log"):
            table.add_column(col)
        for r in rows:
            attempts = "; ".join(f"{a['at'][11:19]} {a['status_code'] or a['error']} ({a['ms']} ms)" for a in r["attempt_log"])
            table.add_row(str(r["id"]), str(r["webhook_id"]), r["event"], str(r["alert_id"] or ""), r["status"], str(r["attempts"]), str(r["last_status"] or r["last_error"] or ""), attempts)
        print_table(console, table)

    @webhook_app.command("deliver")
    def webhook_deliver(
        budget: Annotated[float, typer.Option("--budget", help="Seconds to spend at most.")] = 30.0,
        retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Re-queue deliveries that gave up.")] = False,
    ) -> None:
        """Deliver queued notifications now (runs also do this after screening).

        Example: listguard webhook deliver --retry-failed
        """
        from listguard.monitor import webhooks

        store = _store()
        if retry_failed:
            webhooks.retry_failed(store.engine)
        stats = webhooks.deliver(store.engine, budget_s=budget)
        console.print(f"{stats.delivered} delivered, {stats.retrying} to retry, {stats.failed} failed, {stats.pending} pending")

    @webhook_app.command("remove")
    def webhook_remove(
        webhook_id: Annotated[int, typer.Argument(help="Webhook id (see `listguard webhook list`).")],
        by: Annotated[Optional[str], typer.Option("--by", help="Who removes it (audit trail).")] = None,
    ) -> None:
        """Stop sending to a webhook (its pending deliveries are dropped).

        Example: listguard webhook remove 2
        """
        from listguard.monitor.webhooks import remove_webhook

        if not remove_webhook(_store().engine, webhook_id, actor=by):
            raise _fail(f"no active webhook {webhook_id}")
        console.print(f"webhook {webhook_id} removed")
