"""``salesops generate``: write a synthetic landing zone and its truth manifest."""

from __future__ import annotations

from pathlib import Path

import click

from simulator.config import ConfigError, load_config
from simulator.generate import generate


@click.command("generate")
@click.option(
    "--scale",
    type=float,
    default=None,
    help="Scale factor: 1.0 ≈ 200 reps, 30k opportunities, 24 months. [default: 1.0]",
)
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Random seed; the same seed gives byte-identical files. [default: 42]",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Landing directory to write.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="YAML file of simulator parameters.",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a parameter, e.g. cascade.city_over_region=0.8.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar (default: on for scale ≥ 0.5).",
)
def generate_command(scale, seed, out_dir, config_file, overrides, progress):
    """Generate synthetic CRM, chat and finance extracts with planted, documented behaviours."""
    extra = list(overrides)
    if scale is not None:
        extra.append(f"scale={scale}")
    if seed is not None:
        extra.append(f"seed={seed}")
    try:
        config = load_config(config_file, extra)
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from exc
    show = progress if progress is not None else config.scale >= 0.5
    manifest = generate(config, out_dir, progress=show)
    click.echo(
        f"wrote {out_dir} (seed {config.seed}, scale {config.scale}) in {manifest['seconds']:.1f} s"
    )
    for name, count in manifest["row_counts"].items():
        click.echo(f"  {name:28s} {count:>10,d}")


def main() -> None:
    generate_command()
