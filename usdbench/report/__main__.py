"""python -m usdbench.report [--config asv.conf.json] [--commit HASH] [--machine NAME]"""

from __future__ import annotations

import argparse
import sys

from usdbench.errors import UsdBenchError

from . import build_report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m usdbench.report",
        description="Write <html_dir>/formats/index.html comparing the formats at one commit "
        "from asv's results. Run it after `asv publish` (which empties html_dir).",
    )
    parser.add_argument("--config", default="asv.conf.json", help="asv config (asv.conf.json)")
    parser.add_argument("--commit", help="commit hash or prefix (default: newest with results)")
    parser.add_argument("--machine", help="asv machine name (default: the one with newest results)")
    parser.add_argument("--env", help="asv environment name, when a commit has several")
    parser.add_argument(
        "--leave-asv-site",
        action="store_true",
        help="do not touch the asv site (by default its index.html gets offline copies of its "
        "scripts and a link to the report)",
    )
    args = parser.parse_args(argv)
    try:
        path, data = build_report(
            args.config,
            commit=args.commit,
            machine=args.machine,
            env=args.env,
            prepare_asv=not args.leave_asv_site,
        )
    except UsdBenchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    shown = sum(r.status == "ok" for r in data.rows)
    print(
        f"format report for {data.commit_hash[:8]} on {data.machine}: {path} "
        f"({shown} figures, {len(data.rows) - shown} skipped/failed)"
    )
    asv_index = data.html_dir / "index.html"
    if asv_index.is_file():
        print(f"asv site: {asv_index}")
        print(
            f"view both: python -m http.server --bind 127.0.0.1 --directory {data.html_dir} 8080"
            " then open http://127.0.0.1:8080/ (the report also opens as a plain file)"
        )
    else:
        print(f"no asv site in {data.html_dir} yet: run `asv publish`, then this command again")
    return 0


if __name__ == "__main__":
    sys.exit(main())
