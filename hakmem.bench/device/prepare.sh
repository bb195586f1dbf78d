#!/usr/bin/env bash
# Builds .devrun/ at the repository root: everything the larson scaling sweep needs on the 16-core device
# machine, which has no Java. Run here, then call the device with carry [".devrun"] and
# command "bash .devrun/sweep.sh" (see the README's "Scaling sweep on the 16-core machine").
#   .devrun/jdk/      a jlink'ed Java 25 runtime (../shared/device/make-runtime.sh; no java.desktop: no charts there)
#   .devrun/jars/     hakmem's module jars and the bench's runtime libraries (picocli, HdrHistogram)
#   .devrun/lib/      the baselines' libraries and their C++ runtime, from /usr/lib/x86_64-linux-gnu
#   .devrun/sweep.sh  the sweep itself
# Options: --no-build (reuse the jars already built). Environment: SHARED (default: ../shared beside the repository).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
shared=${SHARED:-$root/../shared}
dev="$root/.devrun"
libdir=/usr/lib/x86_64-linux-gnu
build=1
[ "${1:-}" = "--no-build" ] && build=0

cd "$root"
# .devrun/ is a build output: keep it out of git (the repository's .gitignore lists it too).
exclude=$(git rev-parse --git-path info/exclude 2>/dev/null || true)
if [ -n "$exclude" ] && ! grep -qx '/.devrun/' "$exclude" 2>/dev/null; then
  mkdir -p "$(dirname "$exclude")" && echo '/.devrun/' >> "$exclude"
fi

if [ "$build" = 1 ]; then
  mvn -B -q package dependency:copy-dependencies -DskipTests -DincludeScope=runtime \
      -DoutputDirectory="$root/hakmem.bench/target/runtime-deps" -pl hakmem.bench -am
fi

rm -rf "$dev"
mkdir -p "$dev/jars" "$dev/lib"
"$shared/device/make-runtime.sh" "$dev/jdk"

version=$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' "$root/pom.xml" | head -1)
for m in api tiny l2 l25 learn bench; do
  jar="$root/hakmem.$m/target/hakmem.$m-$version.jar"
  [ -f "$jar" ] || { echo "missing $jar: build first (drop --no-build)" >&2; exit 1; }
  cp "$jar" "$dev/jars/"
done
# Only what the larson sweep loads on the class path: the CLI and the histograms. Charts (XChart, java.desktop),
# Netty and JMH stay here.
for pattern in 'picocli-*.jar' 'HdrHistogram-*.jar'; do
  found=$(find "$root/hakmem.bench/target/runtime-deps" -name "$pattern" | head -1)
  [ -n "$found" ] || { echo "missing $pattern in hakmem.bench/target/runtime-deps" >&2; exit 1; }
  cp "$found" "$dev/jars/"
done

for so in libjemalloc.so.2 libmimalloc.so.2 libtcmalloc_minimal.so.4 libstdc++.so.6 libgcc_s.so.1; do
  if [ -e "$libdir/$so" ]; then
    cp -L "$libdir/$so" "$dev/lib/$so"
  else
    echo "note: $libdir/$so is not installed here; the sweep will report its baseline as skipped" >&2
  fi
done

cp "$here/sweep.sh" "$dev/sweep.sh"
chmod +x "$dev/sweep.sh"
size=$(du -sm "$dev" | cut -f1)
echo "prepared $dev (${size} MiB of the 64 MiB carry limit):"
ls -la "$dev" "$dev/jars" "$dev/lib"
[ "$size" -le 64 ] || { echo "too big to carry: ${size} MiB" >&2; exit 1; }
