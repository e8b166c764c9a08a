"""The ``skmi`` command line."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="skmi", description="Neural-network classifier as mutual-information estimator."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="PC-softmax vs plain softmax vs a resampler on digits")
    demo.add_argument("--seeds", type=int, default=3, help="number of seeds (default 3)")
    demo.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)

    if args.command == "demo":
        from skmi._demo import run_demo

        if args.seeds < 1:
            parser.error("--seeds must be at least 1")
        run_demo(seeds=args.seeds, quiet=args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
