"""The ``rondetafel`` command: serve, demo, eval, bench."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Rondetafel: a co-facilitator for joint meetings (Dutch and English).",
    no_args_is_help=True,
    add_completion=False,
)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Where all state lives (default ./.rondetafel or RONDETAFEL_DATA_DIR)."
    ),
]


def _settings(data_dir: Path | None = None):  # type: ignore[no-untyped-def]
    from agent.settings import Settings, get_settings

    if data_dir is not None:
        os.environ["RONDETAFEL_DATA_DIR"] = str(data_dir)
        get_settings.cache_clear()
    settings: Settings = get_settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return settings


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default 8000).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Run the API (OpenAPI at /docs) on embedded defaults: no key, no network."""
    import uvicorn

    from api.app import create_app

    settings = _settings(data_dir)
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level.lower(),
        # Live screens hold event streams open; without a grace limit a stop would wait
        # for every browser tab to close.
        timeout_graceful_shutdown=settings.shutdown_grace_s,
    )


def default_demo() -> Path:
    """The bundled Dutch example meeting."""
    return Path(str(resources.files("evals").joinpath("scenarios/nl-roc-begroting-demo.yaml")))


@app.command()
def demo(
    scenario: Annotated[
        Path | None, typer.Argument(help="A scenario YAML file (default: bundled Dutch example).")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Play a scripted meeting through the agent and print its advice at each step."""
    from evals.demo import run_demo
    from evals.scenario import ScenarioError

    settings = _settings(data_dir)
    try:
        asyncio.run(run_demo(scenario or default_demo(), settings))
    except ScenarioError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command("eval")
def eval_(
    paths: Annotated[list[Path], typer.Argument(help="Scenario files or folders.")],
    backend: Annotated[str, typer.Option(help="Reasoning backend: local or llm.")] = "local",
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the report here.")] = None,
    thresholds: Annotated[
        Path | None, typer.Option(help="Fail when an overall metric is below these thresholds.")
    ] = None,
    record: Annotated[
        bool, typer.Option("--record", help="Write the table into evals/RESULTS.md.")
    ] = False,
) -> None:
    """Run scripted scenarios and report every metric of the scenario format."""
    from evals.runner import run_eval
    from evals.scenario import ScenarioError

    _settings()
    if backend not in ("local", "llm"):
        typer.echo(f"error: --backend must be local or llm, not {backend!r}", err=True)
        raise typer.Exit(2)
    try:
        code = asyncio.run(
            run_eval(
                paths, backend=backend, json_out=json_out, thresholds=thresholds, record=record
            )
        )
    except ScenarioError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    raise typer.Exit(code)


@app.command()
def bench(
    name: Annotated[str, typer.Argument(help="values | agreement | polarity | speed | positions")],
    data: Annotated[
        Path | None,
        typer.Option(
            help="Benchmarks folder (default RONDETAFEL_BENCHMARKS_DIR or ../shared/benchmarks)."
        ),
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures here.")] = None,
) -> None:
    """Run a benchmark on the public data and record it in evals/RESULTS.md."""
    from evals.benchmarks import BENCHMARKS, run_benchmark

    _settings()
    if name not in BENCHMARKS:
        typer.echo(
            f"error: unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}", err=True
        )
        raise typer.Exit(2)
    folder = data or Path(os.environ.get("RONDETAFEL_BENCHMARKS_DIR", "../shared/benchmarks"))
    if not folder.is_dir():
        typer.echo(f"error: benchmarks folder not found: {folder}", err=True)
        raise typer.Exit(2)
    figures = run_benchmark(name, folder)
    text = json.dumps(figures, indent=2, ensure_ascii=False)
    typer.echo(text)
    if json_out:
        json_out.write_text(text + "\n", encoding="utf-8")


@app.command()
def reindex(data_dir: DataDir = None) -> None:
    """Rebuild the position index (chromadb) from the store. Stop the server first."""
    from agent.retrieval import reindex as rebuild

    settings = _settings(data_dir)
    report = rebuild(settings)
    typer.echo(
        f"position index rebuilt at {settings.chroma_path}: {report.positions} position(s) "
        f"in {report.rebuilt_meetings} meeting(s), {report.chunks} chunk(s)"
    )


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
