"""``cryotrace schemas export DIR``: write the JSON Schema of every wire model."""

from __future__ import annotations

import argparse
from pathlib import Path

from schemas.jsonschema import write_json_schemas


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``cryotrace schemas``."""
    actions = parser.add_subparsers(dest="schemas_action", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write <model>.schema.json files into DIR")
    export.add_argument("dir", type=Path, help="output directory (created if missing)")


def run(args: argparse.Namespace) -> int:
    """Export the schemas; print the paths written."""
    for path in write_json_schemas(args.dir):
        print(path)
    return 0
