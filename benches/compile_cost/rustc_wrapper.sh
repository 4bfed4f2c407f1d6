#!/usr/bin/env bash
# RUSTC_WRAPPER for run.sh: Cargo runs `rustc_wrapper.sh <path to rustc> <args...>`.
#
# Only the rustc process that compiles the measured crate (`--crate-name` equal to
# $COMPILE_COST_CRATE) runs under `/usr/bin/time -f '%e %M'`, which appends its wall seconds and
# peak RSS in KiB to $COMPILE_COST_TIMES. GNU time takes both from wait4() on its own child, so
# they are those of rustc itself (the front end, the proc macros it loads, codegen), not Cargo's;
# during `cargo build` the linker is a child of rustc and wait4's ru_maxrss is the largest of the
# two, which is rustc's in practice. Every other invocation (dependencies, `rustc -vV` probes)
# runs rustc unchanged, so the wrapper does not change what is built.
set -euo pipefail
rustc="$1"
shift
crate=""
prev=""
for arg in "$@"; do
    if [[ "$prev" == "--crate-name" ]]; then
        crate="$arg"
        break
    fi
    prev="$arg"
done
if [[ -n "${COMPILE_COST_CRATE:-}" && "$crate" == "$COMPILE_COST_CRATE" && -n "${COMPILE_COST_TIMES:-}" ]]; then
    exec /usr/bin/time -f '%e %M' -a -o "$COMPILE_COST_TIMES" "$rustc" "$@"
fi
exec "$rustc" "$@"
