#!/usr/bin/env bash
# bench_ingest.sh - cost ingest throughput, run by hand (not by ctest).
#
#   bash tests/bench/bench_ingest.sh [BUILD_DIR] [ROWS]
#
# Generates a FOCUS 1.0 CSV.gz of ROWS rows (default 5,000,000) once, then
# times side by side: `zcat file > /dev/null` (the floor: decompression
# alone), `finops-controller ingest` (stream, parse, aggregate by day x
# account x service x region and by resource, store in SQLite), and pandas
# (read_csv + groupby of the same aggregation).  Reports wall time, rows/s
# and peak RSS from /usr/bin/time -v.  Targets: >= 30x pandas and within 2x
# of zcat.  Installs python3-pandas when missing (Debian package).
# zcat and ingest run back to back, twice (the machine is shared: compare
# neighbours), and the ratios use the better run of each.  PANDAS=0 skips
# pandas (it takes minutes at 5 M rows).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
rows=${2:-5000000}
bin="$build/finops-controller"
[ -x "$bin" ] || { echo "build first: $bin missing" >&2; exit 2; }
work=${BENCH_DIR:-/tmp/fc-bench-ingest}
mkdir -p "$work"
data="$work/focus-$rows.csv.gz"

if [ ! -s "$data" ]; then
    cc -O2 -o "$work/gen_focus" tests/bench/gen_focus.c -lz
    echo "generating $rows rows into $data ..."
    "$work/gen_focus" "$data" "$rows"
fi
if ! /usr/bin/python3 -c 'import pandas' 2>/dev/null; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        python3-pandas >/dev/null
fi
echo "input: $(du -h "$data" | cut -f1) gzip, $(zcat "$data" | wc -c | awk '{printf "%.0f MB", $1/1e6}') text"

# run NAME CMD...: prints wall seconds and peak RSS (MB)
run() {
    local name=$1; shift
    /usr/bin/time -v "$@" >"$work/$name.out" 2>"$work/$name.time" || {
        echo "$name failed:"; tail -5 "$work/$name.out" "$work/$name.time"; exit 1; }
    local wall rss cpu
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0;
        for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/$name.time")
    cpu=$(awk -F': ' '/User time|System time/ {s+=$2} END {print s}' "$work/$name.time")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$work/$name.time")
    printf '%-8s %8.2f s wall %8.2f s cpu  %10.0f rows/s (wall)  %6s MB peak\n' "$name" \
        "$wall" "$cpu" "$(echo "$rows / $wall" | bc -l)" "$rss"
    local key=${name%[0-9]}
    eval "prev=\${t_$key:-}"
    if [ -z "$prev" ] || [ "$(echo "$wall < $prev" | bc -l)" = 1 ]; then
        eval "t_$key=$wall"
        eval "c_$key=$cpu"
    fi
}

for i in 1 2; do
    rm -rf "$work/state"
    run zcat$i sh -c "zcat '$data' > /dev/null"
    run ingest$i "$bin" ingest --state-dir "$work/state" "$data"
done
cp "$work/ingest1.out" "$work/ingest.out"
if [ "${PANDAS:-1}" = 0 ]; then
    echo "ingest: $(grep -E 'rows read' "$work/ingest.out" | head -1)"
    printf 'wall: ingest %.2fx the time of zcat; cpu: %.2fx\n' \
        "$(echo "$t_ingest / $t_zcat" | bc -l)" "$(echo "$c_ingest / $c_zcat" | bc -l)"
    exit 0
fi
run pandas /usr/bin/python3 -c "
import pandas as pd, sys
df = pd.read_csv('$data', usecols=['BilledCost', 'BillingCurrency', 'ChargePeriodStart',
                 'SubAccountId', 'ServiceName', 'RegionId', 'ResourceId', 'x_UsageType'],
                 dtype={'SubAccountId': str})
df['day'] = df['ChargePeriodStart'].str.slice(0, 10)
daily = df.groupby(['day', 'SubAccountId', 'ServiceName', 'RegionId', 'BillingCurrency'])['BilledCost'].sum()
detail = df.groupby(['day', 'SubAccountId', 'ServiceName', 'RegionId', 'x_UsageType', 'ResourceId', 'BillingCurrency'])['BilledCost'].sum()
print(len(daily), len(detail), round(daily.sum(), 2))
"
echo "ingest: $(grep -E 'rows read' "$work/ingest.out" | head -1)"
echo "pandas: $(cat "$work/pandas.out")  (daily rows, detail rows, total)"
printf 'wall: ingest %.1fx faster than pandas, %.2fx the time of zcat\n' \
    "$(echo "$t_pandas / $t_ingest" | bc -l)" "$(echo "$t_ingest / $t_zcat" | bc -l)"
printf 'cpu:  ingest %.1fx less than pandas, %.2fx the cpu of zcat\n' \
    "$(echo "$c_pandas / $c_ingest" | bc -l)" "$(echo "$c_ingest / $c_zcat" | bc -l)"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cpus"
