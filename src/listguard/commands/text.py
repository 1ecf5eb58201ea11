"""``listguard screen-text`` and ``listguard screen-message``: free text and payment messages.

Both read the current versions of the loaded lists through the same cached index as
``listguard screen`` (:mod:`listguard.index_cache`); the text automaton built over that index is
cached beside it (:mod:`listguard.text.cache`), so only the first run after a list changes
pays for building either.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import orjson
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from listguard.termout import print_table

console = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _screener(quiet: bool) -> Any:
    """A Screener over the current lists, with the text automaton ready."""
    index = _load_index(quiet)
    from listguard.matching.screener import Screener
    from listguard.text.cache import cached_automaton

    cached_automaton(index)
    return Screener(index)


def _load_index(quiet: bool) -> Any:
    """The index the matching commands use (their helper, so both share the disk cache)."""
    try:
        from listguard.commands.matching import _index
    except ImportError:  # pragma: no cover - the matching commands are not installed
        from listguard.index_cache import cached_index
        from listguard.store import open_store

        store = open_store()
        if not store.current_versions():
            raise _fail("no lists loaded yet: run `listguard load <list files or folder>` first", 1)
        return cached_index(None, store=store)
    return _index(quiet)


def _hits_cell(hits: list[Any]) -> Text:
    out = Text()
    for i, h in enumerate(hits):
        if i:
            out.append("\n")
        out.append(f"{h.score:.2f} ", style="bold red" if h.match else "yellow")
        out.append(f"{h.caption} ")
        out.append(f"({h.schema}, {h.entity_id})", style="dim")
    return out


def register(app: typer.Typer) -> None:
    @app.command("screen-text")
    def screen_text_cmd(
        file: Annotated[str, typer.Argument(help="Text, HTML or Markdown file; - reads standard input.", show_default=False)],
        json_out: Annotated[bool, typer.Option("--json", help='Print {"mentions": [...]} as JSON.')] = False,
        threshold: Annotated[
            Optional[float], typer.Option("--threshold", "-t", min=0.0, max=1.0, help="Match threshold (default: the product default).")
        ] = None,
        format: Annotated[
            str, typer.Option("--format", "-f", help="auto (by extension and content), text, html or markdown.")
        ] = "auto",
        max_mb: Annotated[
            Optional[float], typer.Option("--max-mb", min=0.001, help="Refuse documents larger than this (default 20, or $LISTGUARD_MAX_TEXT_MB).")
        ] = None,
    ) -> None:
        """Find the listed parties named in a news article, report, chat or invoice.

        Every mention comes with its character span in the input (start/end), the text as
        written and its hits (the same hit objects as screen-file). Names are found in any
        case, hyphenated (Kim Jong-un), possessive (Kim's), wrapped across lines, after titles
        ("CEO Jong Song Hwa"), in another script, and companies with or without their legal
        form. Places, lone common names and ordinary words are not alerts.

        Examples:

          listguard screen-text article.html

          curl -s https://home.treasury.gov/news/press-releases/jy0001 | listguard screen-text - --json

          listguard screen-text notes.md --threshold 0.9
        """
        from listguard.text.document import DocumentError, load_document
        from listguard.text.screen import screen_document

        path = None if file == "-" else Path(file)
        try:
            doc = load_document(path, format, int(max_mb * 1024 * 1024) if max_mb else None)
        except DocumentError as exc:
            raise _fail(str(exc))
        screener = _screener(json_out)
        mentions = screen_document(doc, screener, threshold)
        if json_out:
            sys.stdout.write(orjson.dumps({"mentions": [m.to_dict() for m in mentions]}).decode() + "\n")
            return
        if not mentions:
            console.print(f"No listed parties named ({len(doc.original):,} characters screened, {doc.format}).")
            return
        table = Table(title=f"{len(mentions)} mention{'s' if len(mentions) != 1 else ''} of listed parties")
        table.add_column("span", justify="right", style="dim")
        table.add_column("as written")
        table.add_column("hits")
        for m in mentions:
            table.add_row(f"{m.start}-{m.end}", Text(" ".join(m.text.split()), style="bold"), _hits_cell(m.hits))
        print_table(console, table)

    @app.command("screen-message")
    def screen_message_cmd(
        file: Annotated[str, typer.Argument(help="SWIFT MT103/MT202 or ISO 20022 pacs.008/pain.001 file; - reads standard input.", show_default=False)],
        json_out: Annotated[bool, typer.Option("--json", help="Print the parsed parties and the alerts as JSON.")] = False,
        threshold: Annotated[
            Optional[float], typer.Option("--threshold", "-t", min=0.0, max=1.0, help="Match threshold (default: the product default).")
        ] = None,
        jurisdictions: Annotated[
            Optional[Path], typer.Option("--jurisdictions", help="TOML file of sanctioned jurisdictions (default: $LISTGUARD_HOME/jurisdictions.toml, else kp ir sy cu ua-cri ua-dpr ua-lpr).")
        ] = None,
    ) -> None:
        """Screen a payment message: every party, BIC, identifier, country and free-text field.

        Names go through the matcher, BICs and other identifiers are looked up exactly in the
        lists, countries (structured, BIC, IBAN, address) against the sanctioned
        jurisdictions, and free text (MT 70/72, RmtInf) through screen-text. Each alert says
        which party and which field (and line or element) it came from. Exit code 0 when
        clean, 3 when there are alerts, 2 on a message that cannot be read.

        Examples:

          listguard screen-message mt103.txt

          listguard screen-message pacs008.xml --json

          listguard screen-message mt202.txt --jurisdictions ~/policy/jurisdictions.toml
        """
        from listguard.text.document import DocumentError
        from listguard.text.messages.jurisdictions import load_jurisdictions
        from listguard.text.messages.model import MessageError
        from listguard.text.messages.screen import load_message, screen_message

        try:
            jur = load_jurisdictions(jurisdictions)
        except ValueError as exc:
            raise _fail(str(exc))
        path = None if file == "-" else Path(file)
        try:
            message = load_message(path)
        except (MessageError, DocumentError) as exc:
            raise _fail(str(exc))
        screener = _screener(json_out)
        result = screen_message(message, screener, jur, threshold)
        if json_out:
            sys.stdout.write(orjson.dumps(result.to_dict()).decode() + "\n")
        else:
            _print_message(result)
        if result.alerts:
            raise typer.Exit(3)


def _print_message(result: Any) -> None:
    message = result.message
    parties = Table(title=f"{message.format} {message.reference or ''}".strip())
    for col in ("field", "party", "name", "BIC", "account", "country"):
        parties.add_column(col)
    flagged = {(a.field, a.location) for a in result.alerts}
    for p in message.parties:
        style = "bold red" if (p.field, p.location) in flagged else ""
        parties.add_row(p.field, p.role, p.name or "", p.bic or "", p.account or "", (p.country or "").upper(), style=style)
    print_table(console, parties)
    if not result.alerts:
        console.print("[green]No alerts.[/]")
        return
    alerts = Table(title=f"{len(result.alerts)} alert{'s' if len(result.alerts) != 1 else ''}")
    for col in ("kind", "party / field", "where", "value", "why"):
        alerts.add_column(col)
    for a in result.alerts:
        alerts.add_row(a.kind, f"{a.role}\n{a.field}", a.location, a.value, a.detail)
    print_table(console, alerts)
