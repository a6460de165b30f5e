"""usdbench prepare: the profile's data, generated once into the cache."""

from __future__ import annotations

from usdbench import profiles

NAME = "prepare"
HELP = "generate into the cache every scenario a benchmark profile needs"
DESCRIPTION = (
    "Generate (once; cached) every scenario and format of a benchmark profile, so that "
    "`asv run` never waits for data. Scenarios already in the cache are kept; progress "
    f"is printed as each one is written. The profile: --profile, else ${profiles.ENV}, "
    f"else {profiles.DEFAULT!r}. The cache: $USDBENCH_CACHE, else the user's cache folder."
)
EXAMPLES = """\
examples:
  usdbench prepare                     # the profile of $USDBENCH_PROFILE, else the default
  usdbench prepare --profile quick
"""


def add_arguments(parser) -> None:
    parser.add_argument(
        "--profile",
        choices=list(profiles.PROFILES),
        help=f"benchmark profile (default: ${profiles.ENV}, else {profiles.DEFAULT!r})",
    )


def run(args) -> int:
    from usdbench.prepare import prepare

    profile = profiles.get(args.profile) if args.profile else profiles.from_environment()
    print(f"== profile: {profile.name}", flush=True)
    prepare(profile)
    return 0
