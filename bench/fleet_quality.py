"""Per-domain quality tables for a fleet policy, from the *train* split's outcomes.

    python bench/fleet_quality.py --policy policies/fleet.yaml [--data ../shared/data]

Prints, for each policy model with an ``outcome_model``, a ``quality:`` mapping (accuracy per
MMLU-Pro category on train, and ``default`` = overall) to paste into the policy; the domain
signal picks the row at run time. The dev split is never read here.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from collections import defaultdict

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from router_extproc.policy import load_policy  # noqa: E402
from router_extproc.training import data  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--policy", default=str(REPO / "policies" / "fleet.yaml"))
    parser.add_argument("--data", default=str(data.DEFAULT_DATA_DIR))
    args = parser.parse_args()
    policy = load_policy(args.policy)
    rows = data.mmlu_pro(pathlib.Path(args.data), "train")
    for name, spec in policy.models.items():
        model = spec.outcome_model
        if not model:
            continue
        by_category: dict[str, list[int]] = defaultdict(list)
        for row in rows:
            if model in row["correct"]:
                by_category[row["category"]].append(int(row["correct"][model]))
        overall = [v for values in by_category.values() for v in values]
        table = {c: round(sum(v) / len(v), 3) for c, v in sorted(by_category.items())}
        table["default"] = round(sum(overall) / len(overall), 3)
        print(f"  {name}:\n    quality: {{{', '.join(f'{k!r}: {v}' for k, v in table.items())}}}".replace("'", '"'))
    return 0


if __name__ == "__main__":
    sys.exit(main())
