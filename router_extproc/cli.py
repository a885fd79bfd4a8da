"""``router-extproc`` command line: serve, validate, render-envoy, demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import pathlib
import sys

DEFAULT_POLICY = pathlib.Path(__file__).resolve().parent.parent / "policies" / "default.yaml"


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )


def _cmd_serve(args: argparse.Namespace) -> int:
    import os

    if args.processes > 1:
        from router_extproc.server.processes import supervise

        return supervise(sys.argv[1:], args.processes)

    from router_extproc.policy import PolicyError, parse_policy
    from router_extproc.routing.router import Router
    from router_extproc.server.lifecycle import ServerSettings, serve
    from router_extproc.server.state import RouterState
    from router_extproc.server.watcher import PolicyWatcher, policy_version
    from router_extproc.signals import default_artifacts
    from router_extproc.telemetry import DecisionLog, RouterMetrics, Telemetry
    from router_extproc.telemetry.decision_log import KEY_ENV
    from router_extproc.telemetry.tracing import tracing_from_env

    path = pathlib.Path(args.policy)
    if path.is_dir():
        path = path / "policy.yaml"  # a ConfigMap mounted as a directory
    try:
        text = path.read_text(encoding="utf-8")
        policy = parse_policy(text, str(path))
        tracing = tracing_from_env()
    except (OSError, PolicyError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 2
    models = default_artifacts()

    def load_state() -> RouterState:
        """The slow part (tokenizer, static table, heads, encoder): health says NOT_SERVING meanwhile."""
        return RouterState(Router(policy, version=policy_version(text), artifacts=models), str(path))

    def make_telemetry(state: RouterState) -> Telemetry:
        log = None
        if args.decision_log:
            key = os.environ.get(KEY_ENV)
            log = DecisionLog.open(args.decision_log, int(args.decision_log_max_mb * 1024 * 1024),
                                   args.decision_log_backups, key.encode() if key else None)
        return Telemetry(RouterMetrics(state), tracing, log)

    def make_watcher(state: RouterState) -> PolicyWatcher | None:
        if args.watch_interval <= 0:
            return None
        return PolicyWatcher(path, state, models, interval=args.watch_interval)

    settings = ServerSettings(
        host=args.host,
        port=args.port,
        unix_socket=args.unix_socket,
        max_message_bytes=args.max_message_bytes,
        grace_seconds=args.grace,
        worker_threads=args.workers,
        internal_listener=args.internal_listener,
        health_port=args.health_port,
        health_host=args.health_host,
        metrics_port=args.metrics_port,
        metrics_host=args.metrics_host,
        redis_url=args.redis_url or os.environ.get("ROUTER_REDIS_URL") or None,
    )
    asyncio.run(serve(settings, load_state, make_telemetry, make_watcher))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from router_extproc.policy import PolicyError, load_policy

    status = 0
    for path in args.policies:
        try:
            policy = load_policy(path)
        except PolicyError as exc:
            print(exc, file=sys.stderr)
            status = 1
            continue
        print(f"{path}: ok (policy {policy.name!r}, {len(policy.models)} models, {len(policy.decisions)} decisions)")
    return status


def _cmd_render_envoy(args: argparse.Namespace) -> int:
    from router_extproc.envoy_config.bootstrap import EnvoyPorts, render_bootstrap_yaml
    from router_extproc.policy import PolicyError, load_policy

    try:
        policy = load_policy(args.policy)
    except PolicyError as exc:
        print(exc, file=sys.stderr)
        return 2
    ports = EnvoyPorts(listener=args.listen_port, admin=args.admin_port, router=args.router_port,
                       internal=args.internal_port,
                       router_unix_socket=args.router_unix_socket, router_processes=args.router_processes)
    collector = None
    if args.otlp_collector:
        host, _, port = args.otlp_collector.rpartition(":")
        collector = (host, int(port))
    text = render_bootstrap_yaml(
        policy, ports, failure_mode_allow=not args.fail_closed, listener_address=args.listen_address,
        health_check_path=args.health_path, otlp_collector=collector,
        max_heap_bytes=int(args.max_heap_mb * 1024 * 1024), max_connections=args.max_connections,
    )
    if args.output:
        pathlib.Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from router_extproc.demo.main import run_demo

    return run_demo(pathlib.Path(args.policy), once=args.once)


TRAINERS = {
    "static": ("router_extproc.training.distill", "distill"),
    "names": ("router_extproc.training.make_names", "build"),
    "pii-person": ("router_extproc.training.train_pii_person", "train"),
    "domain": ("router_extproc.training.train_domain", "train"),
    "jailbreak": ("router_extproc.training.train_jailbreak", "train"),
    "jailbreak-stage2": ("router_extproc.training.train_jailbreak_stage2", "train"),
    "jailbreak-calibrate": ("router_extproc.training.train_jailbreak_stage2", "recalibrate"),
    "jailbreak-short": ("router_extproc.training.train_jailbreak_short", "train"),
    "difficulty": ("router_extproc.training.train_difficulty", "train"),
}
"""What ``router-extproc train NAME`` runs (module, function); the heads take a ``version`` too."""
VERSIONED = frozenset({"domain", "jailbreak", "jailbreak-stage2", "jailbreak-calibrate", "jailbreak-short", "difficulty"})


def _cmd_train(args: argparse.Namespace) -> int:
    import importlib

    data_dir = pathlib.Path(args.data)
    if not data_dir.is_dir():
        print(f"data directory {data_dir} not found (pass --data ../shared/data)", file=sys.stderr)
        return 2
    module, function = TRAINERS[args.head]
    trainer = getattr(importlib.import_module(module), function)
    if args.head in VERSIONED:
        trainer(data_dir, args.version)
    else:
        trainer(data_dir)
    return 0


def _evaluate(args: argparse.Namespace):
    from router_extproc.evaluation.dataset import load_outcomes
    from router_extproc.evaluation.runner import Evaluation
    from router_extproc.policy import load_policy

    policy = load_policy(args.policy)
    queries = load_outcomes(args.data, args.limit)
    return Evaluation(policy, queries, progress=not args.quiet, missing_output=args.missing_output).run(
        args.points, progress=not args.quiet)


def _cmd_eval(args: argparse.Namespace) -> int:
    import json

    from router_extproc.evaluation.report import write

    report = _evaluate(args)
    if args.out:
        for path in write(report, pathlib.Path(args.out)):
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(report))
    else:
        from router_extproc.evaluation.report import markdown

        print(markdown(report).split("## Frontier")[0])
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from router_extproc.evaluation.calibrate import choose, write_threshold
    from router_extproc.policy import load_policy

    report = _evaluate(args)
    point = choose(report, args.strong_share, args.max_cost, args.min_quality)
    sweep = report["sweep"]
    print(f"{sweep['decision']}.{sweep['parameter']} = {point['threshold']:.4f}: quality {point['quality']:.4f}, "
          f"cost ${point['cost']:.4f}, strong share {point['strong_share']:.1%} (calibration set: {args.data})")
    if args.write:
        write_threshold(pathlib.Path(args.policy), sweep["decision"], sweep["parameter"], point["threshold"])
        load_policy(args.policy)  # the edited file must still validate
        print(f"written to {args.policy}")
    return 0


def _cmd_eval_gate(args: argparse.Namespace) -> int:
    import json

    from router_extproc.evaluation import gate as g
    from router_extproc.evaluation.calibrate import write_signal_parameter
    from router_extproc.policy import PolicyError, load_policy

    try:
        evaluation = g.GateEvaluation(load_policy(args.policy), args.signal)
    except (PolicyError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 2
    report = g.GateReport(str(args.policy), args.signal, evaluation.threshold)
    chat: dict[str, list[g.Scored]] = {"requests": [], "single": [], "suspect": []}
    labelled: dict[str, tuple[list[g.Scored], list[int]]] = {}
    sources = ([(p, None) for p in args.data] + [(p, 1) for p in args.attacks] + [(p, 0) for p in args.benign])
    for name, label in sources:
        path = pathlib.Path(name)
        if label is None and g.is_conversation_file(path):
            scored = evaluation.conversations(path, args.limit)
            report.conversations[path.name] = g.conversation_summary(scored)
            offset = 1 + max((s.conversation for key in chat for s in chat[key]), default=-1)
            for key in chat:  # conversation numbers stay distinct across files
                for s in scored[key]:
                    s.conversation += offset
                chat[key] += scored[key]
        else:
            labelled[path.name] = evaluation.labelled(path, label)
            report.labelled[path.name] = g.labelled_summary(*labelled[path.name])
    conversations = chat if chat["requests"] else None
    report.sweep = g.sweep(conversations, labelled, g.sweep_thresholds(conversations, report.threshold))
    if args.calibrate:
        if conversations is None:
            print("--calibrate needs a conversation file in --data", file=sys.stderr)
            return 2
        threshold = g.calibrate(conversations, args.max_refusal, args.max_single_refusal, args.confidence)
        report.calibrated = {"threshold": threshold, "target": f"at most {args.max_refusal:.2%} of requests and "
                             f"{args.max_single_refusal:.2%} of single messages refused"
                             + (f", in {args.confidence:.0%} of resamples of the conversations" if args.confidence else "")}
        shown = [r["threshold"] for r in report.sweep if r["threshold"] != round(threshold, 4)]  # one row each
        report.sweep = g.sweep(conversations, labelled, sorted({threshold, *shown}))
        if args.write:
            write_signal_parameter(pathlib.Path(args.policy), args.signal, "threshold", threshold)
            load_policy(args.policy)  # the edited file must still validate
            print(f"written to {args.policy}", file=sys.stderr)
    print(json.dumps(report.__dict__) if args.json else g.markdown(report))
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from router_extproc.policy.schema import policy_json_schema

    text = policy_json_schema()
    if args.output:
        pathlib.Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def _cmd_classify(args: argparse.Namespace) -> int:
    from router_extproc.classify import classify

    return classify(args.prompt, args.policy, args.json)


def _cmd_eval_pii(args: argparse.Namespace) -> int:
    from router_extproc.training.eval_pii import evaluate

    evaluate(pathlib.Path(args.data), args.split, args.samples, args.json)
    return 0


def _cmd_eval_cache(args: argparse.Namespace) -> int:
    import json

    from router_extproc.evaluation.cache_eval import Setting, evaluate
    from router_extproc.policy.cache_spec import SemanticSpec

    shipped = SemanticSpec()
    setting = None if args.calibrate else Setting(shipped.threshold, shipped.max_edits, shipped.max_novelty)
    result = evaluate(pathlib.Path(args.data), args.split, setting, args.limit, args.max_false_hits, args.show)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(
            {"split": result.split, "setting": vars(result.setting), "false_hit_rate": result.false_hit_rate,
             "hit_rate": result.hit_rate, "different": result.different, "same": result.same, "kinds": result.kinds},
            indent=1))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="router-extproc", description=__doc__)
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the ext_proc gRPC server")
    serve.add_argument("--policy", default=str(DEFAULT_POLICY), help="a policy file, or a directory holding policy.yaml")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=50051)
    serve.add_argument("--unix-socket", default=None, help="listen on this Unix socket instead of TCP")
    serve.add_argument("--max-message-bytes", type=int, default=32 * 1024 * 1024)
    serve.add_argument("--grace", type=float, default=10.0, help="seconds in-flight streams get on SIGTERM")
    serve.add_argument("--workers", type=int, default=2, help="threads for parsing, signals and decisions")
    serve.add_argument("--internal-listener", default=None, metavar="HOST:PORT",
                       help="Envoy's internal listener (no ext_proc, loopback only): the router's own calls to "
                       "models, for cascade decisions; without it cascades route by prediction alone")
    serve.add_argument("--health-port", type=int, default=None,
                       help="also serve gRPC health alone on this TCP port (probes); NOT_SERVING until loaded")
    serve.add_argument("--health-host", default="127.0.0.1", help="0.0.0.0 in a pod, so the kubelet reaches it")
    serve.add_argument("--metrics-port", type=int, default=None, help="Prometheus /metrics on this port")
    serve.add_argument("--metrics-host", default="127.0.0.1")
    serve.add_argument("--decision-log", default=None,
                       help="one JSON line per request: '-' for stdout or a file (size-rotated)")
    serve.add_argument("--decision-log-max-mb", type=float, default=100.0)
    serve.add_argument("--decision-log-backups", type=int, default=5)
    serve.add_argument("--watch-interval", type=float, default=1.0,
                       help="seconds between policy checks for hot reload (0: no reload)")
    serve.add_argument("--processes", type=int, default=1,
                       help="router processes (one core each): ports --port .. --port+N-1, for an Envoy rendered "
                       "with --router-processes N")
    serve.add_argument("--redis-url", default=None,
                       help="Redis for a policy whose cache and sessions are shared by every replica "
                       "(store.backend: redis); default: ROUTER_REDIS_URL")
    serve.set_defaults(func=_cmd_serve)

    validate = sub.add_parser("validate", help="check policy files; exit 1 on the first invalid one")
    validate.add_argument("policies", nargs="+")
    validate.set_defaults(func=_cmd_validate)

    from router_extproc.training.data import DEFAULT_DATA_DIR

    dev_split = DEFAULT_DATA_DIR / "mmlu_pro_routing" / "dev.jsonl.gz"

    def eval_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--policy", required=True)
        p.add_argument("--data", default=str(dev_split),
                       help="per-query outcomes (JSON lines, .gz ok); default: the MMLU-Pro dev split")
        p.add_argument("--points", type=int, default=41, help="points of the threshold sweep")
        p.add_argument("--limit", type=int, default=None, help="use the first N queries")
        p.add_argument("--quiet", action="store_true", help="no progress bars")
        p.add_argument("--missing-output", choices=("median", "zero"), default="median",
                       help="cost of an answer whose length the data lacks: the other models' median on that "
                       "question, or nothing (the first release's accounting)")

    evaluate = sub.add_parser("eval", help="cost-quality frontier, APGR, CPT of a policy on outcome data")
    eval_args(evaluate)
    evaluate.add_argument("--json", action="store_true", help="print one JSON object (apgr, cpt50, ...)")
    evaluate.add_argument("--out", default=None, help="directory for report.json, report.md, frontier.png")
    evaluate.set_defaults(func=_cmd_eval)

    calibrate = sub.add_parser("calibrate", help="choose the threshold that meets a target; --write edits the policy")
    eval_args(calibrate)
    target = calibrate.add_mutually_exclusive_group(required=True)
    target.add_argument("--strong-share", type=float, help="at most this share of calls to the strongest model")
    target.add_argument("--max-cost", type=float, help="at most this cost (USD for the set)")
    target.add_argument("--min-quality", type=float, help="at least this quality")
    calibrate.add_argument("--write", action="store_true", help="write the threshold into the policy file")
    calibrate.set_defaults(func=_cmd_calibrate)

    schema = sub.add_parser("schema", help="print the policy file's JSON schema")
    schema.add_argument("--output", "-o", default=None)
    schema.set_defaults(func=_cmd_schema)

    render = sub.add_parser("render-envoy", help="print the Envoy bootstrap for a policy")
    render.add_argument("--policy", default=str(DEFAULT_POLICY))
    render.add_argument("--listen-port", type=int, default=8080)
    render.add_argument("--admin-port", type=int, default=9901)
    render.add_argument("--router-port", type=int, default=50051)
    render.add_argument("--internal-port", type=int, default=None,
                        help="loopback port of the internal listener for the router's own model calls (cascades)")
    render.add_argument("--fail-closed", action="store_true", help="failure_mode_allow: false")
    render.add_argument("--listen-address", default=None, help="listener bind address (0.0.0.0 in a pod)")
    render.add_argument("--router-unix-socket", default=None, help="reach the router over this Unix socket")
    render.add_argument("--router-processes", type=int, default=1,
                        help="endpoints of the ext_proc cluster (serve --processes N)")
    render.add_argument("--health-path", default=None, help="path Envoy answers itself (readiness probe)")
    render.add_argument("--otlp-collector", default=None, metavar="HOST:PORT",
                        help="send Envoy's spans to this OTLP/gRPC collector (and join the router's trace)")
    render.add_argument("--max-heap-mb", type=float, default=256.0,
                        help="Envoy's heap budget for the overload manager (keep >= 96 MiB under the container limit)")
    render.add_argument("--max-connections", type=int, default=1024, help="downstream connections, all listeners")
    render.add_argument("--output", "-o", default=None)
    render.set_defaults(func=_cmd_render_envoy)

    train = sub.add_parser("train", help="train a head (or the static table) and print a dev-set report")
    train.add_argument("head", choices=list(TRAINERS))
    train.add_argument("--data", default=str(DEFAULT_DATA_DIR), help="the shared data directory")
    train.add_argument("--version", default="v1")
    train.set_defaults(func=_cmd_train)

    classify = sub.add_parser("classify", help="print every signal for a prompt, with scores and latency")
    classify.add_argument("prompt")
    classify.add_argument("--policy", default=str(DEFAULT_POLICY))
    classify.add_argument("--json", action="store_true")
    classify.set_defaults(func=_cmd_classify)

    eval_pii = sub.add_parser("eval-pii", help="PII precision/recall per type on the labelled sets")
    eval_pii.add_argument("--data", default=str(DEFAULT_DATA_DIR))
    eval_pii.add_argument("--split", choices=("train", "dev"), default="dev", help="tune on train, report dev")
    eval_pii.add_argument("--samples", type=int, default=0, help="print this many flagged benign snippets per type")
    eval_pii.add_argument("--json", help="also write the report to this file")
    eval_pii.set_defaults(func=_cmd_eval_pii)

    eval_cache = sub.add_parser("eval-cache", help="the semantic cache's false-hit and hit rates on labelled pairs "
                                "of different and same requests (MMLU-Pro, ShareGPT)")
    eval_cache.add_argument("--data", default=str(DEFAULT_DATA_DIR))
    eval_cache.add_argument("--split", choices=("train", "dev"), default="dev", help="tune on train, report dev")
    eval_cache.add_argument("--limit", type=int, default=None, help="questions and conversations read")
    eval_cache.add_argument("--calibrate", action="store_true",
                            help="choose the setting with the most hits within --max-false-hits (else: the shipped one)")
    eval_cache.add_argument("--max-false-hits", type=float, default=0.002)
    eval_cache.add_argument("--show", type=int, default=0, help="print this many false hits")
    eval_cache.add_argument("--json", help="also write the report to this file")
    eval_cache.set_defaults(func=_cmd_eval_cache)

    eval_gate = sub.add_parser("eval-gate", help="a safety gate's refusal rate on real conversations, TPR/FPR/AUC "
                               "on labelled texts, a threshold sweep; --calibrate writes the threshold")
    eval_gate.add_argument("--policy", default=str(DEFAULT_POLICY))
    eval_gate.add_argument("--signal", default="jailbreak")
    eval_gate.add_argument("--data", nargs="*", default=[], help="conversation files (turns) or labelled text files")
    eval_gate.add_argument("--attacks", nargs="*", default=[], help="files whose texts are all attacks")
    eval_gate.add_argument("--benign", nargs="*", default=[], help="files whose texts are all benign")
    eval_gate.add_argument("--limit", type=int, default=None,
                           help="records read per conversation file (a chat split into records may be cut)")
    eval_gate.add_argument("--json", action="store_true")
    eval_gate.add_argument("--calibrate", action="store_true", help="choose the lowest threshold within the bounds")
    eval_gate.add_argument("--max-refusal", type=float, default=0.005, help="of requests (each user turn with history)")
    eval_gate.add_argument("--max-single-refusal", type=float, default=0.003, help="of user messages sent alone")
    eval_gate.add_argument("--confidence", type=float, default=0.8,
                           help="with --calibrate: share of resamples of the conversations in which the bounds must "
                           "hold (0: the data's own rates; the shipped gate is calibrated at 0.8)")
    eval_gate.add_argument("--write", action="store_true", help="with --calibrate: write the threshold into the policy")
    eval_gate.set_defaults(func=_cmd_eval_gate)

    demo = sub.add_parser("demo", help="Envoy + router + demo backends on loopback, with example requests")
    demo.add_argument("--policy", default=str(DEFAULT_POLICY))
    demo.add_argument("--once", action="store_true", help="exit after the example requests")
    demo.set_defaults(func=_cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging(args.log_level)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
