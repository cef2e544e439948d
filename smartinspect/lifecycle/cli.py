"""Lifecycle commands: ``promote``, ``models list|register|reload``. Heavy imports wait inside the commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from smartinspect.config import REPO_ROOT
from smartinspect.lifecycle.kinds import KindRegistry, ModelKind

models_app = typer.Typer(help="Served and registered models: list, register, hot reload.", no_args_is_help=True)
EXIT_REFUSED = 1
EXIT_NOTHING_TO_PROMOTE = 3


_registered: list[Callable[[], KindRegistry]] = []  # the program's kinds, handed over by register()


def _kinds() -> KindRegistry:
    return _registered[-1]()


def _kind(model: str) -> ModelKind:
    try:
        return _kinds().get(model)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="MODEL") from None


def promote_cmd(
    model: Annotated[str, typer.Argument(help="model kind (xray, wood) or model name (xray-detector)")],
    config: Annotated[Path | None, typer.Option(help="promotion config; default training/promote-<kind>.yaml")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="evaluate and log, but change nothing")] = False,
) -> None:
    """Evaluate challenger and champion on the frozen set; promote only if no worse everywhere and better once.

    Exit code 0: promoted (or would be, with --dry-run); 1: refused; 3: nothing to promote.
    """
    from smartinspect.config import get_settings
    from smartinspect.lifecycle.promote import NothingToPromote, promote

    kind = _kind(model)
    config = config or REPO_ROOT / "training" / f"promote-{kind.name}.yaml"
    try:
        result = promote(get_settings(), config, kinds=_kinds(), dry_run=dry_run)
    except NothingToPromote as exc:
        typer.echo(f"nothing to promote: {exc}", err=True)
        raise typer.Exit(EXIT_NOTHING_TO_PROMOTE) from None
    typer.echo(f"frozen evaluation set: {result.eval_set.path} ({result.eval_set.n_examples} examples, "
               f"sha256 {result.eval_set.sha256})\n")
    typer.echo(result.table)
    typer.echo(f"\nMLflow promotion run: {result.run_id}")
    if result.exported is not None:
        typer.echo(f"exported to {result.exported}; reload serving: `smartinspect models reload`")
    if not result.decision.passed:
        raise typer.Exit(EXIT_REFUSED)


@models_app.command("list")
def list_cmd(model: Annotated[str, typer.Argument(help="model kind or name")] = "xray") -> None:
    """The package served from models/ and every registered version with its aliases."""
    from smartinspect.config import get_settings
    from smartinspect.lifecycle.export import served_manifest
    from smartinspect.lifecycle.mlflow_registry import list_versions, open_client

    settings = get_settings()
    kind = _kind(model)
    served = served_manifest(settings.models_dir, kind.model_name)
    if served:
        reg = served.get("registry") or {}
        typer.echo(f"served from {settings.models_dir / kind.model_name}: package {served['version']}, "
                   f"sha256 {served['sha256'][:12]}, registry version {reg.get('version', '(unregistered)')}")
    else:
        typer.echo(f"nothing served from {settings.models_dir / kind.model_name}")
    typer.echo("\n| version | aliases | package | sha256 | run | promotion |\n|---|---|---|---|---|---|")
    for ref in list_versions(open_client(settings), kind.model_name):
        typer.echo(f"| {ref.version} | {', '.join(ref.aliases)} | {ref.tags.get('package_version', '')} | "
                   f"{ref.tags.get('sha256', '')[:12]} | {ref.run_id} | {ref.tags.get('promotion', '')} |")


@models_app.command("register")
def register_cmd(
    package: Annotated[Path, typer.Argument(help="a model package directory (manifest.json, model.onnx)")],
    champion: Annotated[bool, typer.Option("--champion", help="bootstrap: mark the package that models/ already "
                                           "serves as champion (refused for any other package)")] = False,
) -> None:
    """Register a package (e.g. the shipped model) in the MLflow registry; as challenger unless --champion."""
    from smartinspect.config import get_settings
    from smartinspect.lifecycle.export import served_manifest
    from smartinspect.lifecycle.mlflow_registry import CHALLENGER, CHAMPION, register_package

    settings = get_settings()
    manifest = json.loads((package / "manifest.json").read_text())
    if champion:
        served = served_manifest(settings.models_dir, manifest["name"])
        if not served or served["sha256"] != manifest["sha256"]:
            typer.echo("--champion is only for the package models/ already serves; promote others", err=True)
            raise typer.Exit(2)
    ref = register_package(settings, package=package, alias=CHAMPION if champion else CHALLENGER)
    typer.echo(json.dumps(ref.to_dict(), indent=2))


@models_app.command("reload")
def reload_cmd(
    url: Annotated[str | None, typer.Option(help="API base URL (default: http://<host>:<port> from settings)")] = None,
    api_key: Annotated[str | None, typer.Option(envvar="SMARTINSPECT_API_KEY", help="an admin key")] = None,
) -> None:
    """Ask a running API to reload its models (POST /v1/models/reload); exits 1 if a package failed to load."""
    import urllib.error
    import urllib.request

    from smartinspect.config import get_settings

    if not api_key:
        typer.echo("an admin API key is needed: --api-key or SMARTINSPECT_API_KEY", err=True)
        raise typer.Exit(2)
    settings = get_settings()
    base = (url or f"http://{settings.host}:{settings.port}").rstrip("/")
    request = urllib.request.Request(f"{base}/v1/models/reload", method="POST", headers={"X-API-Key": api_key})
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            typer.echo(json.dumps(json.loads(response.read()), indent=2))
    except urllib.error.HTTPError as exc:
        typer.echo(f"HTTP {exc.code}: {exc.read().decode(errors='replace')}", err=True)
        raise typer.Exit(1) from None


def register(groups: dict[str, typer.Typer], *, kinds: Callable[[], KindRegistry]) -> None:
    """Add ``promote``, ``models`` and ``bench reload``; ``kinds()`` returns the program's registry
    (smartinspect.kinds), loaded when a command needs it."""
    _registered.append(kinds)
    groups["app"].command("promote")(promote_cmd)
    groups["app"].add_typer(models_app, name="models")
