#!/usr/bin/env python3
"""The table of benches/README.md from criterion's last estimates (medians), with the ratios.

    python3 benches/typed/summary.py [CRITERION_DIR ...]

Default: target/criterion (what `cargo bench --bench typed` and `--bench async` wrote); add
target/typed_10000/target/criterion for the N = 10,000 project. Goals are the issue's, at N = 1,000.
"""

import json
import os
import sys

GOALS = {  # (group, N): the most distage may cost, as a multiple of the hand-wired code
    ("typed_produce + get root", 1000): 5,
    ("typed_build whole graph", 1000): 10,
    ("typed_get", 1000): 2,
    ("subcontext", None): 6,
}


def median(path):
    with open(os.path.join(path, "new", "estimates.json"), encoding="utf-8") as f:
        return json.load(f)["median"]["point_estimate"]


def fmt(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns:.1f} ns"


def row(what, n, distage, hand, goal_key):
    ratio = distage / hand if hand else None
    goal = GOALS.get(goal_key)
    met = "—" if goal is None or ratio is None else ("yes" if ratio <= goal else "no")
    print(
        f"| {what} | {n or '—'} | {fmt(distage)} | {fmt(hand) if hand else '—'} | "
        f"{f'{ratio:.1f}×' if ratio else '—'} | {f'≤ {goal}×' if goal else '—'} | {met} |"
    )


def main():
    dirs = sys.argv[1:] or [os.path.join("target", "criterion")]
    print("| what | N | distage | typed hand-wired | ratio | goal | met |")
    print("|---|---:|---:|---:|---:|---:|---|")
    groups = [
        ("typed_build whole graph", "build the whole graph (module, plan, produce, get root)", "hand-wired"),
        ("typed_produce + get root", "produce a made plan, get root", "hand-wired"),
        ("typed_plan", "plan, from the module made", None),
        ("typed_get", "`get` of a singleton / a field read", "hand-wired field"),
    ]
    for group, what, hand_name in groups:
        for d in dirs:
            base = os.path.join(d, group)
            if not os.path.isdir(os.path.join(base, "distage")):
                continue
            for n in sorted(os.listdir(os.path.join(base, "distage")), key=lambda s: int(s)):
                distage = median(os.path.join(base, "distage", n))
                hand = median(os.path.join(base, hand_name, n)) if hand_name else None
                row(what, int(n), distage, hand, (group, int(n)))
    for d in dirs:
        sub = os.path.join(d, "subcontext")
        runs = os.path.join(sub, "one run with 5 locals")
        if os.path.isdir(runs):
            # The latest baseline measured (an earlier one's results stay in target/criterion).
            by_hand = sorted(
                (os.path.join(sub, e) for e in os.listdir(sub) if e.startswith("by hand")),
                key=os.path.getmtime,
            )
            hand = median(by_hand[-1]) if by_hand else None
            row("a subcontext run with 5 locals", None, median(runs), hand, ("subcontext", None))
    for d in dirs:
        module = os.path.join(d, "typed_plan", "module()")
        if os.path.isdir(module):
            for n in sorted(os.listdir(module), key=lambda s: int(s)):
                print(f"\n`AppModule::module()` at N = {n}: {fmt(median(os.path.join(module, n)))}", end="")
    print()


if __name__ == "__main__":
    main()
