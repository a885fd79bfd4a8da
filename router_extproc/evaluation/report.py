"""Write an evaluation as JSON, Markdown and a PNG of the cost-quality frontier."""

from __future__ import annotations

import json
import pathlib
from typing import Any


def _ci(report: dict[str, Any], key: str, percent: bool = False) -> str:
    interval = report.get("ci", {}).get(key)
    if not interval:
        return ""
    lo, hi = interval
    return f" (95% CI {lo:.1%}-{hi:.1%})" if percent else f" (95% CI {lo:.3f}-{hi:.3f})"


def markdown(report: dict[str, Any]) -> str:
    c = report["configured"]
    lines = [
        f"# Routing evaluation: policy `{report['policy']}` ({report['queries']} queries)",
        "",
        f"Sweep of `{report['sweep']['parameter']}` in decision `{report['sweep']['decision']}`; "
        f"strong = `{report['strong']}`, weak = `{report['weak']}`.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| APGR | {report['apgr']:.3f}{_ci(report, 'apgr')} (random 0.500) |",
        f"| CPT(50%) | {report['cpt50']:.1%}{_ci(report, 'cpt50', True)} strong calls |",
        f"| CPT(80%) | {report['cpt80']:.1%}{_ci(report, 'cpt80', True)} strong calls |",
        f"| quality at the configured threshold | {report['quality']:.4f}{_ci(report, 'quality')} |",
        f"| cost at the configured threshold | ${report['cost']:.4f} |",
        f"| strong-call share at the configured threshold | {c['strong_share']:.1%} |",
        f"| oracle quality / cost | {report['oracle']['quality']:.4f} / ${report['oracle']['cost']:.4f} |",
        f"| oracle gap | {report['oracle']['gap']:.4f} |",
        *_versus(report),
        *_baseline(report),
        "",
        "## Single models",
        "",
        "| model | quality | cost |",
        "|---|---|---|",
        *[f"| {m} | {p['quality']:.4f} | ${p['cost']:.4f} |" for m, p in report["singles"].items()],
        "",
        "## Calls and cost per model at the configured threshold",
        "",
        "| model | calls | cost |",
        "|---|---|---|",
        *[f"| {m} | {n} | ${c['cost_by_model'].get(m, 0):.4f} |" for m, n in c["calls"].items()],
        "",
        "## Frontier",
        "",
        "| threshold | strong share | quality | cost |",
        "|---|---|---|---|",
        *[f"| {p['threshold']:.4f} | {p['strong_share']:.3f} | {p['quality']:.4f} | ${p['cost']:.4f} |"
          for p in report["frontier"]],
    ]
    return "\n".join(lines) + "\n"


def _versus(report: dict[str, Any]) -> list[str]:
    v = report.get("vs_best_single")
    if not v:
        return []
    share = v["router_cost_share_at_equal_quality"]
    return [
        "",
        f"Against the best single model `{report['best_single']}` (quality {v['quality']:.4f}, ${v['cost']:.4f}): "
        f"the router reaches its quality at {share:.1%} of its cost; " if share is not None else
        f"Against the best single model `{report['best_single']}` (quality {v['quality']:.4f}, ${v['cost']:.4f}): "
        "the router never reaches its quality; ",
        f"at equal cost the router's best quality is {v['router_quality_at_equal_cost']}, "
        f"at half its cost {v['router_quality_at_half_cost']}.",
    ]


def _baseline(report: dict[str, Any]) -> list[str]:
    b = report.get("baseline")
    if not b:
        return []
    at = report["equal_cost"]["at_cascade_configured_cost"]
    return [
        "",
        f"## Cascade vs predictive routing (`{b['policy']}`)",
        "",
        "| router | APGR | CPT(50%) | CPT(80%) |",
        "|---|---|---|---|",
        f"| cascade | {report['apgr']:.3f}{_ci(report, 'apgr')} | {report['cpt50']:.1%} | {report['cpt80']:.1%} |",
        f"| predictive | {b['apgr']:.3f}{_ci(b, 'apgr')} | {b['cpt50']:.1%} | {b['cpt80']:.1%} |",
        "",
        f"At the cascade's configured cost (${at['cost']:.4f}): cascade quality {at['cascade']:.4f}, best predictive "
        f"point within that cost {at['predictive']}.",
        "",
        "| cost (predictive point) | predictive quality | cascade's best quality within that cost |",
        "|---|---|---|",
        *[f"| ${r['cost']:.4f} | {r['predictive']:.4f} | {r['cascade'] if r['cascade'] is not None else '-'} |"
          for r in report["equal_cost"]["by_cost"][:: max(1, len(report["equal_cost"]["by_cost"]) // 12)]],
    ]


def plot(report: dict[str, Any], path: pathlib.Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (by_cost, by_share) = plt.subplots(1, 2, figsize=(12, 4.8))
    frontier = sorted(report["frontier"], key=lambda p: p["cost"])
    by_cost.plot([p["cost"] for p in frontier], [p["quality"] for p in frontier], "-o", ms=3, label="router sweep")
    baseline = report.get("baseline")
    if baseline:
        other = sorted(baseline["frontier"], key=lambda p: p["cost"])
        by_cost.plot([p["cost"] for p in other], [p["quality"] for p in other], "-x", ms=3, label="predictive")
    for name, p in report["singles"].items():
        by_cost.scatter(p["cost"], p["quality"], marker="s")
        by_cost.annotate(name, (p["cost"], p["quality"]), fontsize=7, xytext=(3, 3), textcoords="offset points")
    by_cost.scatter(report["oracle"]["cost"], report["oracle"]["quality"], marker="*", s=120, label="oracle")
    by_cost.scatter(report["configured"]["cost"], report["configured"]["quality"], marker="D", s=60, label="configured")
    by_cost.set_xlabel("cost (USD for the set)")
    by_cost.set_ylabel("quality")
    by_cost.legend(fontsize=8)
    by_cost.set_title(f"{report['policy']}: quality vs cost")
    weak, strong = report["singles"][report["weak"]], report["singles"][report["strong"]]
    points = sorted(report["frontier"], key=lambda p: p["strong_share"])
    by_share.plot([p["strong_share"] for p in points], [p["quality"] for p in points], "-o", ms=3, label="router")
    if baseline:
        other = sorted(baseline["frontier"], key=lambda p: p["strong_share"])
        by_share.plot([p["strong_share"] for p in other], [p["quality"] for p in other], "-x", ms=3, label="predictive")
    by_share.plot([0, 1], [weak["quality"], strong["quality"]], "--", label="random")
    by_share.scatter(report["configured"]["strong_share"], report["configured"]["quality"], marker="D", s=60,
                     label="configured")
    by_share.axhline(report["oracle"]["quality"], ls=":", label="oracle")
    by_share.set_xlabel(f"share of calls to {report['strong']}")
    by_share.set_ylabel("quality")
    by_share.set_title(f"APGR {report['apgr']:.3f}, CPT(50%) {report['cpt50']:.1%}")
    by_share.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(report: dict[str, Any], out_dir: pathlib.Path) -> list[pathlib.Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "report.json", out_dir / "report.md", out_dir / "frontier.png"]
    paths[0].write_text(json.dumps(report, indent=2) + "\n")
    paths[1].write_text(markdown(report))
    plot(report, paths[2])
    return paths
