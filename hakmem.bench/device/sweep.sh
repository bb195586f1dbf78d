#!/usr/bin/env bash
# larson scaling sweep for the 16-core device machine: hakmem's variants, every native baseline
# (glibc, jemalloc, mimalloc, tcmalloc) and the floor (the harness with no allocator, a bound above
# them all) at 1, 4, 8 and 16 threads, mimalloc-bench's larson parameters, 5 s per measurement, best of
# 2 interleaved runs, each measurement in a fresh JVM. About 6 minutes;
# a hard stop at 470 s keeps it under 8 (results are rewritten after every measurement, so a cut run
# still returns what it measured). Uses only paths relative to this script (.devrun/ built by
# hakmem.bench/device/prepare.sh). Writes to $OUT (or ./out beside this script):
#   larson.json, larson.csv   every measurement (render here: hakmem-bench chart --from larson.json)
#   sweep.log                 the console output, table included
#   machine.txt               CPU, cores, kernel, libraries found
# Knobs (environment): SWEEP_SECONDS (5), SWEEP_RUNS (2), SWEEP_THREADS (1,4,8,16), SWEEP_ALLOCATORS (hakmem,native,floor),
# SWEEP_LIMIT (470 s). SWEEP_SHARDS ("8 16", say) then measures SWEEP_SHARDS_ALLOCATORS (hakmem-tls) once more at
# SWEEP_SHARDS_THREADS (4,8,16) with -Dhakmem.shards=N for each N, into $OUT/shards-N/ (60 s at most each).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$here/out}
mkdir -p "$out"
export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
java="$here/jdk/bin/java"
cp=$(find "$here/jars" -name '*.jar' | sort | tr '\n' ':')
cores=$(nproc)
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
  echo "cores: $cores"
  echo "cpu: ${model:-unknown}"
  uname -a
  "$java" -version 2>&1
  ls -la "$here/lib"
} > "$out/machine.txt" 2>&1

# The bench runs on the class path here: the runtime has no java.desktop, so no charts (drawn back home).
timeout --kill-after=10 "${SWEEP_LIMIT:-470}" "$java" --enable-native-access=ALL-UNNAMED -cp "$cp" hakmem.bench.Main larson \
    --threads "${SWEEP_THREADS:-1,4,8,16}" --allocators "${SWEEP_ALLOCATORS:-hakmem,native,floor}" \
    --seconds "${SWEEP_SECONDS:-5}" --runs "${SWEEP_RUNS:-2}" --out "$out" --no-chart \
    --machine "device: ${model:-unknown cpu}, $cores cores" 2>&1 | tee "$out/sweep.log"
status=${PIPESTATUS[0]}
[ "$status" = 124 ] && echo "sweep: stopped at the time limit; $out/larson.json holds what was measured" | tee -a "$out/sweep.log"
for n in ${SWEEP_SHARDS:-}; do
  mkdir -p "$out/shards-$n"
  timeout --kill-after=10 60 "$java" -Dhakmem.shards="$n" --enable-native-access=ALL-UNNAMED -cp "$cp" hakmem.bench.Main larson \
      --threads "${SWEEP_SHARDS_THREADS:-4,8,16}" --allocators "${SWEEP_SHARDS_ALLOCATORS:-hakmem-tls}" \
      --seconds "${SWEEP_SECONDS:-5}" --runs 1 --out "$out/shards-$n" --no-chart \
      --machine "device: ${model:-unknown cpu}, $cores cores, hakmem.shards=$n" 2>&1 | tee "$out/shards-$n/sweep.log"
done
ls -la "$out"
exit "$status"
