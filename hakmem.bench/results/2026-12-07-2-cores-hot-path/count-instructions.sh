#!/bin/bash
# Counts the fast path of a malloc(64) + free pair in C2's code, split at the static add between them.
# usage (from the repo root, after mvn -B -q install -DskipTests; needs python3-capstone):
#   bash hakmem.bench/results/2026-12-07-2-cores-hot-path/count-instructions.sh [api-classes-dir]
set -euo pipefail
J=$(ls -d /usr/lib/jvm/*25* | head -1)/bin
HERE=$(cd "$(dirname "$0")" && pwd)
API=${1:-hakmem.api/target/classes}
CP=$API:hakmem.tiny/target/classes:hakmem.l2/target/classes:hakmem.l25/target/classes
OUT=$(mktemp -d)
$J/javac -cp "$CP" -d "$OUT" "$HERE/Probe.java"
$J/java --enable-native-access=ALL-UNNAMED -XX:+UnlockDiagnosticVMOptions -XX:-TieredCompilation \
    -XX:CompileCommand=quiet -XX:CompileCommand=print,Probe::pair -cp "$CP:$OUT" Probe 64 20000000 > "$OUT/print.txt" 2>&1
/usr/bin/python3 ../shared/tools/disasm.py "$OUT/print.txt" --c2-only > "$OUT/pair.asm"
awk '/^== Compiled/{go=1; next} go && /^  0x/{ins++; if ($0 ~ /ptr \[/) mem++;
     if ($0 ~ /add qword ptr \[r[0-9a-z]+ \+ 0x7[0-9a-f]\], r/ && !sp) {sp=1; printf "malloc: %d instructions, %d touching memory; ", ins, mem; ins=0; mem=0; next}
     if ($2=="ret") {printf "free (+epilogue): %d instructions, %d touching memory\n", ins, mem; exit}}' "$OUT/pair.asm"
echo "decoded code: $OUT/pair.asm"
