# common.sh - what run-short and run-long share: where the fuzz binaries are,
# each target's dictionary and libFuzzer's options.  Sourced, not run.
FUZZ_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$FUZZ_SRC/../.." && pwd)
BUILD=${FC_FUZZ_BUILD_DIR:-$ROOT/build-libfuzzer}

targets() {
    local f
    for f in "$FUZZ_SRC"/fuzz_*.c; do
        f=$(basename "$f" .c)
        echo "${f#fuzz_}"
    done
}

dict_of() {
    case $1 in
        specs|approvers) echo "$FUZZ_SRC/yaml.dict" ;;
        aws_xml) echo "$FUZZ_SRC/xml.dict" ;;
        aws_json) echo "$FUZZ_SRC/json.dict" ;;
        cost_csv|prices) echo "$FUZZ_SRC/csv.dict" ;;
        cron) echo "$FUZZ_SRC/cron.dict" ;;
        *) echo "" ;;
    esac
}

# run_target TARGET SECONDS WORKDIR: one libFuzzer run; new inputs go to
# WORKDIR/corpus (the committed seeds are read only), crashes to
# WORKDIR/artifacts/.  Output in WORKDIR/log (appended).  FUZZ_UNIT_TIMEOUT
# (seconds, default 10) is wall clock: raise it when the fuzzers share the
# machine with heavier work, so a starved unit is not reported as a hang.
run_target() {
    local t=$1 secs=$2 w=$3 dict
    mkdir -p "$w/corpus" "$w/artifacts"
    dict=$(dict_of "$t")
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$BUILD/fuzz_$t" -max_total_time="$secs" -timeout="${FUZZ_UNIT_TIMEOUT:-10}" -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$w/artifacts/" \
        ${dict:+-dict="$dict"} "$w/corpus" "$FUZZ_SRC/corpus/$t" >>"$w/log" 2>&1
}

# Executions so far in a log (sum over runs) and crash files.
execs_of() {
    sed -n 's/^stat::number_of_executed_units: *//p' "$1/log" 2>/dev/null |
        awk '{s += $1} END {print s + 0}'
}
crashes_of() {
    find "$1/artifacts" -type f 2>/dev/null | wc -l
}
