"""usdbench prepare: the profile's data, generated once into the cache."""

from __future__ import annotations

from .options import add_profile, chosen_profile

NAME = "prepare"
HELP = "generate into the cache every scenario a benchmark profile needs"
DESCRIPTION = (
    "Generate (once; cached) every scenario and format of a benchmark profile, so that "
    "`asv run` never waits for data. Scenarios already in the cache are kept; progress "
    "is printed as each one is written. The profile: --profile, else $USDBENCH_PROFILE, "
    "else 'default'. The cache: $USDBENCH_CACHE, else the user's cache folder."
)
EXAMPLES = """\
examples:
  usdbench prepare                     # the profile of $USDBENCH_PROFILE, else the default
  usdbench prepare --profile quick
"""


def add_arguments(parser) -> None:
    add_profile(parser)


def run(args) -> int:
    from usdbench.prepare import prepare

    profile = chosen_profile(args)
    print(f"== profile: {profile.name}", flush=True)
    prepare(profile)
    return 0
