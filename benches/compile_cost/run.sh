#!/usr/bin/env bash
# Compile cost of `module!` + `#[derive(Injectable)]` against hand-written wiring.
#
#   benches/compile_cost/run.sh [N ...]        (default: 100 400 1000)
#
# Environment: MODES (default "distage hand"); REPEAT (runs per measurement, alternating between
# the modes; the fastest time and the median peak RSS are reported; default 3); TIMEOUT (seconds
# per cargo command, default 900);
# DISTAGE_REV (a commit: measure a `git archive` snapshot of it, in target/compile_cost/src-<sha>/,
# instead of the working tree, e.g. while the tree is mid-edit; default: the working tree).
#
# For every N and mode: generate.py writes target/compile_cost/<mode>_<N>/ (git-ignored); a
# warm-up `cargo build` + `cargo check` builds the dependencies (distage, its proc macros, syn,
# ...) into the shared target/compile_cost/target, so that afterwards only the generated crate is
# compiled; then `touch src/main.rs` and `cargo check` / `cargo build` (dev profile), REPEAT
# times each; the binary is run once and must exit 0.
#
# What is measured: the rustc process of the generated crate only, through RUSTC_WRAPPER
# (rustc_wrapper.sh), which runs exactly that invocation under `/usr/bin/time -f '%e %M'`:
# rustc's wall seconds (proc macros included, they run inside it) and its peak RSS. Timing `cargo`
# itself would add Cargo's start-up and fingerprinting to the time, and its RSS figure would be
# Cargo's or whichever of its children peaked highest, not necessarily this crate's rustc. The
# wrapper does not change what is built: every other rustc call passes through unchanged, and it
# is set for the warm-up too, so nothing is rebuilt because of it.
#
# CARGO_INCREMENTAL=0: with incremental compilation, re-compiling a touched but unchanged file
# reuses almost every query result from the previous session and would measure a cache hit, not
# the cost of checking the wiring. Without it every measurement is a full compile of the crate.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/target/compile_cost"
ns=("$@")
[[ ${#ns[@]} -gt 0 ]] || ns=(100 400 1000)
read -r -a modes <<<"${MODES:-distage hand}"
repeat="${REPEAT:-3}"
timeout_s="${TIMEOUT:-900}"

if [[ -n "${DISTAGE_REV:-}" ]]; then
    sha="$(git -C "$root" rev-parse --short=12 "$DISTAGE_REV^{commit}")"
    snapshot="$out/src-$sha"
    if [[ ! -f "$snapshot/Cargo.toml" ]]; then
        mkdir -p "$snapshot"
        git -C "$root" archive "$sha" | tar -x -C "$snapshot"
    fi
    export DISTAGE_PATH="$snapshot"
else
    export DISTAGE_PATH="$root"
fi

export CARGO_TARGET_DIR="$out/target"
export CARGO_INCREMENTAL=0
export RUSTC_WRAPPER="$here/rustc_wrapper.sh"
unset COMPILE_COST_CRATE COMPILE_COST_TIMES
mkdir -p "$out/logs"
results="$out/results.tsv"
: >"$results"

echo "# $(rustc -V), $(cargo -V), $(nproc) cores; REPEAT=$repeat; distage at $DISTAGE_PATH" >&2

# measure_once <dir> <crate> <cargo subcommand> <log>: prints "<s> <KiB>", or FAIL/TIMEOUT.
measure_once() {
    local dir="$1" crate="$2" sub="$3" log="$4" times="$out/times.txt" rc
    rm -f "$times"
    touch "$dir/src/main.rs"
    rc=0
    (cd "$dir" && COMPILE_COST_CRATE="$crate" COMPILE_COST_TIMES="$times" \
        timeout "$timeout_s" cargo "$sub" --offline --locked --quiet) >>"$log" 2>&1 || rc=$?
    if [[ $rc -eq 124 ]]; then echo "TIMEOUT"; return; fi
    if [[ $rc -ne 0 ]]; then echo "FAIL"; return; fi
    if [[ ! -s "$times" || $(grep -c '^[0-9.]* [0-9]*$' "$times") -ne 1 ]]; then
        echo "expected one timed rustc run of $crate, got: $(cat "$times" 2>/dev/null)" >>"$log"
        echo "FAIL"
        return
    fi
    grep '^[0-9.]* [0-9]*$' "$times"
}

# summarize <log> <sub> <"s KiB" or FAIL/TIMEOUT ...>: the fastest time (noise on a shared machine
# only ever adds time) and the median peak RSS, or the first failure.
summarize() {
    local log="$1" sub="$2"
    shift 2
    local IFS='|'
    echo "$sub runs (s KiB): $*" >>"$log"
    python3 -c 'import statistics, sys
runs = [r.split() for r in sys.argv[1:]]
bad = [r[0] if r else "FAIL" for r in runs if len(r) != 2]
if bad or not runs: print(bad[0] if bad else "FAIL")
else: print(min(float(r[0]) for r in runs), int(statistics.median(int(r[1]) for r in runs)))' "$@"
}

for n in "${ns[@]}"; do
    ready=()
    for mode in "${modes[@]}"; do
        dir="$out/${mode}_$n"
        log="$out/logs/${mode}_$n.log"
        : >"$log"
        python3 "$here/generate.py" "$n" "$mode" "$dir"
        echo "== N=$n $mode: warm-up build (dependencies) ==" >&2
        rc=0
        (cd "$dir" && timeout "$timeout_s" cargo build --offline --quiet && timeout "$timeout_s" cargo check --offline --quiet) >>"$log" 2>&1 || rc=$?
        if [[ $rc -ne 0 ]]; then
            status=FAIL
            [[ $rc -eq 124 ]] && status=TIMEOUT
            echo "   $status (exit $rc), see $log:" >&2
            grep -E '^(error|warning: .*limit|thread .* panicked)' "$log" | sort | uniq -c | head -5 >&2 || true
            printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$mode" "$status" "" "$status" "" >>"$results"
            continue
        fi
        ready+=("$mode")
    done
    [[ ${#ready[@]} -gt 0 ]] || continue
    # The modes take turns, run after run, so that a slow spell of the shared machine falls on
    # both rather than on whichever was being measured then. checks[i] and builds[i] collect the
    # runs of ready[i], "|"-separated; after a failed run a mode is not run again.
    checks=()
    builds=()
    for ((r = 0; r < repeat; r++)); do
        for i in "${!ready[@]}"; do
            mode="${ready[$i]}"
            dir="$out/${mode}_$n"
            crate="cc_${mode}_$n"
            log="$out/logs/${mode}_$n.log"
            case "${checks[$i]:-}${builds[$i]:-}" in *FAIL* | *TIMEOUT*) continue ;; esac
            c="$(measure_once "$dir" "$crate" check "$log")"
            b=FAIL
            [[ "$c" =~ ^[0-9] ]] && b="$(measure_once "$dir" "$crate" build "$log")"
            checks[$i]="${checks[$i]:-}$c|"
            builds[$i]="${builds[$i]:-}$b|"
        done
    done
    for i in "${!ready[@]}"; do
        mode="${ready[$i]}"
        bin="$CARGO_TARGET_DIR/debug/cc-${mode}-$n"
        log="$out/logs/${mode}_$n.log"
        IFS='|' read -r -a c_runs <<<"${checks[$i]:-FAIL|}"
        IFS='|' read -r -a b_runs <<<"${builds[$i]:-FAIL|}"
        read -r cs ck < <(summarize "$log" check "${c_runs[@]}") || true
        read -r bs bk < <(summarize "$log" build "${b_runs[@]}") || true
        echo "   N=$n $mode: check ${cs} s ${ck:-} KiB; build ${bs} s ${bk:-} KiB" >&2
        if [[ "$bs" =~ ^[0-9] ]]; then
            if "$bin" >>"$log" 2>&1; then
                echo "   $bin exited 0" >&2
            else
                echo "   $bin FAILED (exit $?), see $log" >&2
                bs="RUNFAIL"
            fi
        fi
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$mode" "$cs" "${ck:-}" "$bs" "${bk:-}" >>"$results"
    done
done

# The table, ratios against hand-written wiring at the same N, and the goals of the issue.
python3 - "$results" <<'EOF'
import sys

rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
num = lambda v: float(v) if v and v[0].isdigit() else None
res = {(int(r[0]), r[1]): dict(cs=num(r[2]), ck=num(r[3]), bs=num(r[4]), bk=num(r[5]), raw=r) for r in rows}
mib = lambda k: f"{k / 1024:,.0f}" if k is not None else ""
sec = lambda s, raw: f"{s:.2f}" if s is not None else raw
ratio = lambda a, b: f"{a / b:.2f}" if a is not None and b else "—"
print("| N | mode | check s | check MiB | build s | build MiB | check s distage/hand | build s distage/hand | check MiB distage/hand |")
print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
for (n, mode), r in res.items():
    h = res.get((n, "hand"), {})
    is_d = mode == "distage" and h
    print(f"| {n} | {mode} | {sec(r['cs'], r['raw'][2])} | {mib(r['ck'])} | {sec(r['bs'], r['raw'][4])} | {mib(r['bk'])} | "
          f"{ratio(r['cs'], h.get('cs')) if is_d else '—'} | {ratio(r['bs'], h.get('bs')) if is_d else '—'} | "
          f"{ratio(r['ck'], h.get('ck')) if is_d else '—'} |")
print()
d = res.get((1000, "distage"))
if d:
    ok = d["cs"] is not None and d["cs"] <= 4.0 and d["ck"] <= 1024 * 1024
    print(f"Goal `cargo check` <= 4 s and <= 1 GiB at N=1000: {'met' if ok else 'NOT met'}"
          f" ({sec(d['cs'], d['raw'][2])} s, {mib(d['ck'])} MiB)")
for n in sorted({n for n, _ in res}):
    d, h = res.get((n, "distage")), res.get((n, "hand"))
    if d and h:
        ok = d["bs"] is not None and h["bs"] and d["bs"] <= 2 * h["bs"]
        why = f"x{ratio(d['bs'], h['bs'])}" if d["bs"] is not None and h["bs"] else f"distage {d['raw'][4]}, hand {h['raw'][4]}"
        print(f"Goal `cargo build` <= 2x hand-wired at N={n}: {'met' if ok else 'NOT met'} ({why})")
EOF
