#!/usr/bin/env bash
# Builds the parser fuzzer (libFuzzer + AddressSanitizer) and runs each target for a bounded time.
# Usage: bash fuzz/run.sh [seconds per target, default 20]. A finding leaves its input in .build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
out=.build-fuzz
mkdir -p "$out"
binary=$out/nftcsf-fuzz
if [ ! -x "$binary" ] || [ -n "$(find Sources/CsfCompat fuzz -newer "$binary" -name '*.swift' | head -1)" ]; then
    swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name NftcsfFuzz -package-name nftcsf -I Sources/CSys \
        $(find Sources/CsfCompat -name '*.swift' | sort) fuzz/FuzzEntry.swift -o "$binary" 2> "$out/build.log" \
        || { cat "$out/build.log" >&2; exit 1; }
fi
for target in address lists config; do
    corpus=$out/corpus-$target
    mkdir -p "$corpus"
    cp -n fuzz/seeds/$target/* "$corpus"/ 2>/dev/null || true
    echo "fuzz: $target for ${seconds}s"
    # -timeout: one input taking over 5 s is a hang; -rss_limit_mb / -malloc_limit_mb: bounded memory.
    # Swift's own backtracer is off so that libFuzzer reports the trap and keeps the input.
    if ! (cd "$out" && SWIFT_BACKTRACE=enable=no FUZZ_TARGET=$target ./nftcsf-fuzz "corpus-$target" -max_total_time="$seconds" -timeout=5 \
            -rss_limit_mb=1024 -malloc_limit_mb=256 -max_len=4096 -print_final_stats=1 > "fuzz-$target.log" 2>&1); then
        tail -40 "$out/fuzz-$target.log" >&2
        echo "fuzz: $target FAILED (input saved in $out)" >&2
        exit 1
    fi
    grep -E '^stat::number_of_executed_units' "$out/fuzz-$target.log" | sed "s/^/fuzz: $target /"
done
