"""`send-assistant`: the project's command line: content work (check, new, preview, build,
report) and running the assistant (train, serve, chat, evaluate, diagram)."""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
import urllib.error
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from actions.errors import SendAssistantError
from actions.knowledge import load_knowledge
from actions.paths import KNOWLEDGE_DIR, PROJECT_ROOT

DEFAULT_EVAL_SETS = [PROJECT_ROOT / "tests" / "eval" / "dev_questions.yaml",
                     PROJECT_ROOT / "tests" / "eval" / "extended_questions.yaml"]


def main(argv: list[str] | None = None) -> int:
    """Run one command; return the exit status."""
    # Rasa sends usage data and crash reports (Segment, Sentry) unless told not to; a council's
    # assistant must send nothing anywhere. Every Rasa process these commands start inherits it.
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    parser = argparse.ArgumentParser(prog="send-assistant", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="generate NLU data, rules and the spaCy pipeline "
                                "from the knowledge files")
    build.add_argument("--check", action="store_true",
                       help="only report generated files that are out of date (exit 1 if any)")

    check = commands.add_parser("check", help="validate every knowledge and flow file and report "
                                "all problems and warnings, with file and line (exit 1 on errors)")
    check.add_argument("--strict", action="store_true", help="exit 1 on warnings too")

    new = commands.add_parser("new", help="create a topic file with every field to fill in")
    new.add_argument("council", help="the council's id (e.g. sefton), or common")
    new.add_argument("topic", help="the topic id: lower case and underscores (e.g. transition)")

    preview = commands.add_parser("preview", help="show a topic's answer as a person would get it")
    preview.add_argument("topic", help="the topic id (e.g. sen_support)")
    preview.add_argument("--council", default=None, help="the council whose page asks (e.g. "
                         "sefton); without it, as when the council is not known")
    preview.add_argument("--html", type=Path, default=None,
                         help="also write the answer's HTML, as the widget shows it, to this file")
    preview.add_argument("--question", default="",
                         help="as if this question was typed: shows which part of an answer "
                         "split into sections it gets (or the whole answer)")

    train = commands.add_parser("train", help="train the model if its training data or config "
                                "changed since the last training")
    train.add_argument("--force", action="store_true", help="train even if nothing changed")

    serve = commands.add_parser("serve", help="run the action server and the Rasa server")
    serve.add_argument("--port", type=int, default=5005, help="Rasa server port (5005)")
    serve.add_argument("--action-port", type=int, default=5055, help="action server port (5055)")

    diagram = commands.add_parser("diagram", help="print a decision flow as a Mermaid diagram "
                                  "(paste into a Markdown file or mermaid.live's editor)")
    diagram.add_argument("flow", help="council/flow, e.g. sefton/next_steps")
    diagram.add_argument("--role", choices=["parent", "professional"], default="parent",
                         help="whose wording to show (parent)")

    chat = commands.add_parser("chat", help="chat with a running assistant in the terminal")
    chat.add_argument("--url", default="http://localhost:5005", help="the Rasa server")
    chat.add_argument("--council", default=None,
                      help="send this council as metadata.local_authority (e.g. sefton)")

    evaluate = commands.add_parser("evaluate", help="measure accuracy, out-of-scope declines "
                                   "and wrong-topic answers through the REST channel")
    evaluate.add_argument("--questions", type=Path, nargs="+", default=DEFAULT_EVAL_SETS,
                          help="evaluation sets, each reported on its own (default: "
                          "tests/eval/dev_questions.yaml tests/eval/extended_questions.yaml)")
    evaluate.add_argument("--url", default=None, help="evaluate an assistant already running "
                          "here instead of starting one")
    evaluate.add_argument("--safeguarding", action="store_true",
                          help="measure safeguarding instead, on tests/eval/safeguarding.yaml: "
                          "crisis recall and false alarms, tune and held-out parts")
    evaluate.add_argument("--offline", action="store_true",
                          help="with --safeguarding: the signals and the learned crisis check "
                          "(fitted on the spot), no model or assistant started")
    evaluate.add_argument("--risk-coverage", type=Path, nargs="?", default=None,
                          const=PROJECT_ROOT / "docs" / "risk-coverage.svg", metavar="SVG",
                          help="the risk-coverage curve of the classifier's confidence on the "
                          "tune parts of the sets, with the assistant's operating point; draws "
                          "it (default docs/risk-coverage.svg)")
    evaluate.add_argument("--curve", action="store_true",
                          help="with --safeguarding: how the crisis check's thresholds trade "
                          "found crises for false alarms, out of fold on its own examples")
    evaluate.add_argument("--replay", action="store_true",
                          help="parse each question once with the trained model and replay the "
                          "decision (actions/settings.yml), in seconds, with no assistant "
                          "started: the figures a served evaluation gives")
    evaluate.add_argument("--set", dest="changes", action="append", default=[],
                          metavar="GROUP.NAME=VALUE",
                          help="with --replay: try a setting (e.g. answer.sure_alone=0.6; "
                          "repeatable), reported beside the shipped settings. Choose on the "
                          "tune parts, never the held-out parts")
    evaluate.add_argument("--show-held-out", action="store_true",
                          help="list the held-out parts' misses too (never tune on them)")
    evaluate.add_argument("--min-accuracy", type=float, default=None,
                          help="exit 1 if in-scope accuracy of a set is below this (0 to 1)")

    safeguarding = commands.add_parser("safeguarding", help="show what the safeguarding "
                                       "signals find in a message, which phrases fired, and "
                                       "what the learned crisis check makes of it")
    safeguarding.add_argument("message", nargs="+", help="the message (quote it)")
    safeguarding.add_argument("--role", choices=["parent", "professional"], default=None)

    from tools import report as report_tool

    report = commands.add_parser("report", help="insights from conversations for the Local Offer "
                                 "team: CSV files and an HTML report with charts")
    report_tool.add_arguments(report)

    from tools import benchmark as benchmark_tool

    benchmark = commands.add_parser("benchmark", help="measure this assistant against a plain "
                                    "`rasa init` assistant (takes about 5 minutes)")
    benchmark_tool.add_arguments(benchmark)

    from tools import retention as retention_tool

    retention = commands.add_parser("retention", help="delete conversations with no message in "
                                    "the last N days from the tracker store")
    retention_tool.add_arguments(retention)

    from tools import load as load_tool

    load = commands.add_parser("load", help="many conversations at once through nginx to the "
                               "production stack (PostgreSQL, Redis, several Rasa processes), "
                               "on this machine only")
    load_tool.add_arguments(load)

    args = parser.parse_args(argv)
    try:
        return int(_COMMANDS[args.command](args))
    except SendAssistantError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _build(args: argparse.Namespace) -> int:
    from tools.build import build_spacy_pipeline, stale_files, write_generated

    kb = load_knowledge(KNOWLEDGE_DIR)
    if args.check:
        stale = stale_files(kb)
        for rel in stale:
            print(f"out of date: {rel}")
        if stale:
            print("run `send-assistant build` (or `make build`) and commit the result")
        return 1 if stale else 0
    changed = write_generated(kb)
    for rel in changed:
        print(f"wrote {rel}")
    out = build_spacy_pipeline(kb)
    print(f"spaCy pipeline: {out.relative_to(PROJECT_ROOT)}")
    from tools.train import needs_training

    print("the model is out of date: retrain (make train), then restart" if needs_training()
          else "the model is up to date: no retraining needed")
    return 0


def _check(args: argparse.Namespace) -> int:
    from actions.lint import ERROR, lint

    kb = load_knowledge(KNOWLEDGE_DIR)  # raises with every loading problem, with file and line
    findings = lint(kb)
    for finding in findings:
        print(finding)
    errors = sum(f.level == ERROR for f in findings)
    warnings = len(findings) - errors
    files = sum(len(f) for f in kb.topics.values())
    flows = sum(len(f) for f in kb.flows.values())
    print(f"{'knowledge OK' if not errors else 'knowledge has errors'}: {len(kb.councils)} "
          f"councils, {len(kb.topics)} topics, {files} files, {flows} flows; {errors} error(s), "
          f"{warnings} warning(s)")
    return 1 if errors or (args.strict and warnings) else 0


def _new(args: argparse.Namespace) -> int:
    from tools.content import scaffold

    path = scaffold(load_knowledge(KNOWLEDGE_DIR), args.council, args.topic)
    print(f"wrote {path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path}"
          "\nReplace every TODO, then run `send-assistant check`, `send-assistant build` and "
          "`make train`.")
    return 0


def _preview(args: argparse.Namespace) -> int:
    from tools.content import as_html_page, as_text, preview

    replies = preview(load_knowledge(KNOWLEDGE_DIR), args.topic, args.council, args.question)
    print(as_text(replies))
    if args.html:
        args.html.write_text(as_html_page(replies), encoding="utf-8")
        print(f"\nHTML written to {args.html}")
    return 0


def _diagram(args: argparse.Namespace) -> int:
    from tools.diagram import mermaid

    kb = load_knowledge(KNOWLEDGE_DIR)
    council, _, flow_id = args.flow.partition("/")
    flow = kb.flows.get(council, {}).get(flow_id)
    if flow is None:
        known = ", ".join(f"{c}/{f}" for c in sorted(kb.flows) for f in sorted(kb.flows[c]))
        print(f"error: no flow {args.flow!r}; the flows are: {known or 'none'}", file=sys.stderr)
        return 1
    print(mermaid(flow, args.role), end="")
    return 0


def _train(args: argparse.Namespace) -> int:
    from tools.train import MODEL_PATH, train

    if train(force=args.force):
        print(f"trained {MODEL_PATH.relative_to(PROJECT_ROOT)}")
    else:
        print(f"training data unchanged: using {MODEL_PATH.relative_to(PROJECT_ROOT)}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from tools.servers import running_assistant

    # `kill` (SIGTERM) must stop both servers too, not only Ctrl+C: exit through `finally`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print("Starting the action server and the Rasa server (about 10 seconds)...")
    with running_assistant(rasa_port=args.port, action_port=args.action_port,
                           work_dir=PROJECT_ROOT / "var") as assistant:
        example = json.dumps({"sender": "me", "message": "what is SEN support?",
                              "metadata": {"local_authority": "sefton"}})
        print(f"""
The SEND guidance assistant is running.
  Demo page:    {assistant.demo_page.replace('127.0.0.1', 'localhost')}   (the chat widget)
  REST channel: POST {assistant.webhook.replace('127.0.0.1', 'localhost')}
  Try it:       curl -s -H 'Content-Type: application/json' \\
                  -d '{example}' \\
                  http://localhost:{args.port}/webhooks/rest/webhook
  Or chat here: make chat   (in another terminal)
  Logs:         {assistant.log_dir}/rasa.log, {assistant.log_dir}/actions.log
Press Ctrl+C to stop.""", flush=True)
        while assistant.alive():
            time.sleep(1)
        print(f"A server stopped unexpectedly; see the logs in {assistant.log_dir}",
              file=sys.stderr)
        return 1


def _chat(args: argparse.Namespace) -> int:
    from tools.evaluate import ask, new_conversation

    webhook = args.url.rstrip("/") + "/webhooks/rest/webhook"
    sender = new_conversation(webhook)
    print("Type a question (or 'quit'). Button choices can be typed as their /payload.")
    while True:
        try:
            text = input("you> ").strip()
        except EOFError:
            return 0
        if text.lower() in {"quit", "exit"}:
            return 0
        if not text:
            continue
        try:
            messages = ask(webhook, text, args.council, sender)
        except (urllib.error.URLError, OSError) as err:
            print(f"Cannot reach the assistant at {webhook} ({err}); is `make run` running?")
            continue
        for message in messages:
            if message.get("text"):
                print(f"bot> {message['text']}")
            for button in message.get("buttons") or []:
                print(f"     [{button['title']}]  {button['payload']}")


def _safeguarding(args: argparse.Namespace) -> int:
    from actions.knowledge import load_knowledge
    from actions.paths import KNOWLEDGE_DIR

    safeguarding = load_knowledge(KNOWLEDGE_DIR).safeguarding
    text = " ".join(args.message)
    found = safeguarding.assess(text, args.role)
    print(f"level: {found.level or 'none'}")
    for key, value in found.record().items():
        if key != "level":
            print(f"{key}: {value}")
    for line in safeguarding.detector.explain(text):
        print(f"  {line}")
    from actions.settings import settings
    from bot.safeguarding import checked_assessment
    from tools.safeguarding_eval import fitted_check

    check, _ = fitted_check()
    rules = settings().safeguarding
    veto, alone, lean = rules.check_veto, rules.check_alone, rules.check_lean
    chance = check.probability(text)
    served = checked_assessment(found, chance, len(text.split()), rules)
    print(f"learned crisis check: {chance:.2f} (a signal needs at least {veto}"
          f"{', but a sure one fired' if found.sure else ''}; alone it needs {alone}, or {lean}"
          " where the assistant is otherwise unsure of the message)")
    if served.level != found.level:
        print(f"level with the check: {served.level or 'none'}"
              + (" (answered, with the one-line signpost first)" if served.level is None else ""))
    return 0


@contextmanager
def _assistant_webhook(args: argparse.Namespace) -> Iterator[str]:
    """The REST webhook of the assistant at `--url`, or of one started on free ports for the
    while."""
    from tools.servers import free_port, running_assistant

    if args.url:
        yield args.url.rstrip("/") + "/webhooks/rest/webhook"
        return
    print("Starting the assistant on free ports...", flush=True)
    with tempfile.TemporaryDirectory() as tmp, running_assistant(
            rasa_port=free_port(), action_port=free_port(), work_dir=Path(tmp)) as assistant:
        yield assistant.webhook


def _evaluate_safeguarding(args: argparse.Namespace) -> int:
    from tools import safeguarding_eval as sg

    if args.curve:
        print(sg.curve())
        return 0
    messages = sg.load_messages()
    if args.offline:
        kinds = sg.run(messages, sg.offline())
    else:
        with _assistant_webhook(args) as webhook:
            kinds = sg.run(messages, sg.through_rest(webhook))
    print(f"\n== {sg.SAFEGUARDING_SET.name} ({len(messages)} messages"
          f"{', signals and crisis check only' if args.offline else ''})\n"
          f"{sg.report(messages, kinds, args.show_held_out)}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from tools.evaluate import accuracy, by_part, evaluate, load_questions, report

    if args.safeguarding:
        return _evaluate_safeguarding(args)
    if args.risk_coverage is not None:
        return _risk_coverage(args)

    sets = {path: load_questions(path) for path in args.questions}
    if args.replay or args.changes:
        results = _replayed(args, sets)
    else:
        with _assistant_webhook(args) as webhook:
            results = {path: evaluate(webhook, qs, path.name) for path, qs in sets.items()}
    failed = False
    for path, every in results.items():
        for part, rs in by_part(every).items():
            named = f", {part.replace('_', '-')} part" if part else ""
            shown = report(rs, show_misses=part != "held_out" or args.show_held_out)
            print(f"\n== {path}{named} ({len(rs)} questions)\n{shown}")
            in_scope = accuracy([r for r in rs if r.question.in_scope])
            if args.min_accuracy is not None and in_scope < args.min_accuracy:
                print(f"FAIL: in-scope accuracy {in_scope:.1%} is below {args.min_accuracy:.0%}")
                failed = True
    return 1 if failed else 0


def _replayed(args: argparse.Namespace, sets: dict[Path, list[Any]]) -> dict[Path, list[Any]]:
    """Each set's results, the decision replayed on the model's parses (tools.replay): under
    the shipped settings, or, with `--set`, under the changed ones, after a line per set and
    part comparing the two (the held-out parts' only with `--show-held-out`)."""
    from actions.settings import settings
    from tools.evaluate import accuracy, by_part, confident_wrong_rate
    from tools.replay import parse_all, replay, with_changes
    from tools.train import MODEL_PATH

    shipped = settings()
    changed = with_changes(shipped, args.changes)
    kb = load_knowledge(KNOWLEDGE_DIR)
    print(f"Parsing {sum(map(len, sets.values()))} questions with {MODEL_PATH.name}...",
          flush=True)
    parses = {path: parse_all(qs, MODEL_PATH) for path, qs in sets.items()}
    if not args.changes:
        return {path: replay(kb, qs, parses[path], shipped) for path, qs in sets.items()}

    def line(rs: list[Any]) -> str:
        scope = [r for r in rs if r.question.in_scope]
        out = [r for r in rs if not r.question.in_scope]
        offered = [r for r in rs if r.topic == "suggestions"]
        return (f"right {sum(r.correct for r in scope)}/{len(scope)}, declined "
                f"{sum(r.correct for r in out)}/{len(out)}, wrong "
                f"{confident_wrong_rate(rs):.1%}, choices right "
                f"{sum(r.right_among_choices for r in offered)}/{len(offered)}; "
                f"in scope {accuracy(scope):.1%}")

    results = {}
    print(f"\nshipped settings, then with {', '.join(args.changes)}:")
    for path, qs in sets.items():
        before = by_part(replay(kb, qs, parses[path], shipped))
        results[path] = replay(kb, qs, parses[path], changed)
        for part, rs in by_part(results[path]).items():
            if part == "held_out" and not args.show_held_out:
                print(f"  {path.name} (held_out): not shown, not for choosing settings")
                continue
            print(f"  {path.name}{f' ({part})' if part else ''}\n"
                  f"    {line(before[part])}\n    {line(rs)}")
    return results


def _risk_coverage(args: argparse.Namespace) -> int:
    from tools import risk_coverage as rc
    from tools.evaluate import evaluate, load_questions
    from tools.replay import parse_all
    from tools.train import MODEL_PATH

    questions = rc.tune_questions([q for path in args.questions for q in load_questions(path)])
    print(f"Reading {len(questions)} tune questions with {MODEL_PATH.name}...", flush=True)
    # read as the REST channel hands each message to the NLU (tools.replay.parse_all)
    guesses = [rc.best_guess(q, list(parse.get("intent_ranking") or []))
               for q, parse in zip(questions, parse_all(questions, MODEL_PATH), strict=True)]
    with _assistant_webhook(args) as webhook:
        results = evaluate(webhook, questions)
    print(rc.table(guesses, results))
    rc.picture(guesses, results, args.risk_coverage)
    print(f"drew {args.risk_coverage}")
    return 0


def _benchmark(args: argparse.Namespace) -> int:
    from tools.benchmark import run

    return run(args)


def _retention(args: argparse.Namespace) -> int:
    from tools.retention import run

    return run(args)


def _load(args: argparse.Namespace) -> int:
    from tools.load import run

    return run(args)


def _report(args: argparse.Namespace) -> int:
    from tools.report import run

    return run(args)


_COMMANDS = {"build": _build, "check": _check, "new": _new, "preview": _preview,
             "report": _report, "benchmark": _benchmark, "load": _load,
             "retention": _retention,
             "train": _train, "serve": _serve, "chat": _chat, "evaluate": _evaluate,
             "diagram": _diagram, "safeguarding": _safeguarding}

if __name__ == "__main__":
    sys.exit(main())
