"""usdbench report: the format comparison page, from asv's results."""

from __future__ import annotations

from .options import add_config

NAME = "report"
HELP = "write the format comparison report (html/formats/) from asv's results"
DESCRIPTION = (
    "Write <html_dir>/formats/index.html comparing the formats at one commit (memory "
    "and time of each operation, growth with scale, memory timelines where recorded) "
    "from asv's results. Run it after `asv publish`, which empties html_dir. The page "
    "opens as a plain file, offline. By default the asv site's index.html also gets "
    "offline copies of its scripts and a link to the report."
)
EXAMPLES = """\
examples:
  asv publish && usdbench report                 # newest results, their machine
  usdbench report --machine box --commit 1a2b3c4d
"""


def add_arguments(parser) -> None:
    add_config(parser)
    parser.add_argument("--commit", help="commit hash or prefix (default: newest with results)")
    parser.add_argument("--machine", help="asv machine name (default: the one with newest results)")
    parser.add_argument("--env", help="asv environment name, when a commit has several")
    parser.add_argument(
        "--leave-asv-site",
        action="store_true",
        help="do not touch the asv site (by default its index.html gets offline copies of its "
        "scripts and a link to the report)",
    )


def run(args) -> int:
    from usdbench.report import build_report

    path, data = build_report(
        args.config,
        commit=args.commit,
        machine=args.machine,
        env=args.env,
        prepare_asv=not args.leave_asv_site,
    )
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
