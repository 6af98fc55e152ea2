#!/usr/bin/env bash
# run.sh: builds the libFuzzer targets (clang, ASan + UBSan, coverage) in their own build folder and
# runs each one briefly, replaying its regression corpus tests/fuzz/corpus/<target>/ first.
#
# usage: tests/fuzz/run.sh [--build DIR] [--seconds N] [TARGET...]
#   TARGET: csv http router lua xlsx (default: all). --seconds: fuzzing time per target (default
#   SPOT_FUZZ_SECONDS or 10). Exit status 1 on any crash, leak or sanitizer report; the crashing
#   input is left in DIR/artifacts/. Longer runs: tests/fuzz/README.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${TMPDIR:-/tmp}/spotcheck-fuzz-build"
seconds="${SPOT_FUZZ_SECONDS:-10}"
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -eq 0 ] && targets=(csv http router lua xlsx)
CC="${SPOT_FUZZ_CC:-$(command -v clang-14 || command -v clang || true)}"
[ -n "$CC" ] || { echo "fuzz: clang is needed (Debian: clang libclang-rt-14-dev)" >&2; exit 1; }

# 1. The core library, instrumented for coverage and sanitizers, through the project's own CMake
#    (it also generates the embedded migrations). Only the spotcore target is built.
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE=Debug -DSPOT_SANITIZE=ON -DSPOT_FUZZING=ON \
  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link -O1 -gline-tables-only" >/dev/null
cmake --build "$build" --target spotcore -j"$(nproc)" >/dev/null

# 2. The targets, linked by hand against it.
# shellcheck disable=SC2046
libs=$(pkg-config --libs lua5.4 sqlite3 libmicrohttpd jansson libsodium libedit xlsxwriter libzip expat libcurl zlib)
cflags=$(pkg-config --cflags lua5.4 sqlite3 libmicrohttpd jansson libsodium libedit xlsxwriter libzip expat libcurl zlib)
for t in "${targets[@]}"; do
  src="$here/fuzz_$t.c"
  [ -f "$src" ] || { echo "fuzz: unknown target $t" >&2; exit 2; }
  if [ ! -x "$build/fuzz_$t" ] || [ "$src" -nt "$build/fuzz_$t" ] || [ "$here/fuzz_common.h" -nt "$build/fuzz_$t" ] ||
     [ "$build/libspotcore.a" -nt "$build/fuzz_$t" ]; then
    # shellcheck disable=SC2086
    "$CC" -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
      -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
      -DSPOT_VERSION='"fuzz"' -DSPOT_SOURCE_DIR="\"$root\"" -DSPOT_DATA_DIR='"/usr/share/spotcheck"' \
      $(for l in cli http domain store host draw lib; do printf -- '-I%s ' "$root/core/$l"; done) $cflags "$src" "$build/libspotcore.a" $libs -lcsv -lpthread -lm -o "$build/fuzz_$t"
  fi
done

# 3. Replay the regression corpus, then fuzz for a few seconds from it (new inputs go to a scratch
#    corpus in the build folder, not into the source tree).
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
mkdir -p "$build/artifacts"
status=0
for t in "${targets[@]}"; do
  corpus="$here/corpus/$t"
  scratch="$build/corpus/$t"
  mkdir -p "$corpus" "$scratch"
  dict=()
  if [ -f "$here/$t.dict" ]; then dict=(-dict="$here/$t.dict"); fi
  echo "== fuzz_$t: replaying $(find "$corpus" -type f | wc -l) corpus inputs, then fuzzing ${seconds}s"
  if ! "$build/fuzz_$t" -runs=0 "$corpus" > "$build/fuzz_$t.replay.log" 2>&1; then
    echo "FAIL fuzz_$t: a corpus input crashes" >&2; tail -40 "$build/fuzz_$t.replay.log" >&2; status=1; continue
  fi
  if ! "$build/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -max_len=8192 \
       -artifact_prefix="$build/artifacts/$t-" "${dict[@]}" "$scratch" "$corpus" > "$build/fuzz_$t.log" 2>&1; then
    echo "FAIL fuzz_$t: see $build/fuzz_$t.log; crashing input in $build/artifacts/" >&2
    grep -A30 "ERROR\|runtime error\|deadly signal" "$build/fuzz_$t.log" | head -60 >&2; status=1; continue
  fi
  grep -E "DONE" "$build/fuzz_$t.log" | tail -1 || tail -1 "$build/fuzz_$t.log"
done
exit $status
