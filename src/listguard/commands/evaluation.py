"""``listguard eval``: measure the matcher on the shared evaluation data, beside its peers."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_command(
        set_: str = typer.Option("all", "--set", help="pairs | screening | populations | all (populations: customer-like names, also part of screening)"),
        json_: bool = typer.Option(False, "--json", help="Print the full results as JSON."),
        peers: bool = typer.Option(
            True, "--peers/--no-peers", help="Also measure nomenklatura logic-v2/logic-v1/ofac: on the pairs, and re-scoring "
            "listguard's candidates on the screening sets."
        ),
        data: Optional[Path] = typer.Option(
            None, "--data", help="The shared data folder (default ../shared/data or $LISTGUARD_SHARED_DATA)."
        ),
        output: Optional[Path] = typer.Option(None, "-o", "--output", help="Also write the JSON results here."),
    ) -> None:
        """Precision/recall/F1 on labelled name pairs and recall/false alerts on screening sets,
        listguard side by side with nomenklatura's matchers, in one run.

        Examples:

          listguard eval --set pairs --no-peers          # the labelled pairs only, listguard only

          listguard eval --data ../shared/data -o eval.json
        """
        from listguard.evaluation import SETS, run
        from listguard.evaluation.report import print_report, to_json

        if set_ not in SETS:
            raise typer.BadParameter(f"--set must be one of {', '.join(SETS)}")
        try:
            results = run(set_, peers=peers, shared=data)
        except FileNotFoundError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2)
        text = to_json(results)
        if output:
            output.write_text(text, encoding="utf-8")
        if json_:
            typer.echo(text)
        else:
            print_report(results)
