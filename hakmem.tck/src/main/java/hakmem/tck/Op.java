package hakmem.tck;

/**
 * One step of a random sequence a {@link CoreDriver} applies. A {@code pick} chooses among the live (or
 * freed) blocks modulo their count, so every sequence is valid whatever came before.
 */
public sealed interface Op {

    /** Allocates {@code size} bytes; {@code alignLog < 0}: the runtime's plain alignment, else {@code 2^alignLog}. */
    record Alloc(long size, int alignLog, int site) implements Op {
    }

    /** Allocates {@code count} blocks of {@code size} bytes at plain alignment: fills slabs, runs, chunks. */
    record Burst(long size, int count, int site) implements Op {
    }

    /** Frees a live block. */
    record Free(int pick) implements Op {
    }

    /** Frees {@code count} live blocks in address order from the picked one: empties slabs, runs, chunks. */
    record Drain(int pick, int count) implements Op {
    }

    /** Frees a live block, then frees it again at once. */
    record DoubleFree(int pick) implements Op {
    }

    /** Frees again an address freed some time ago, unless it is live again. */
    record Refree(int pick) implements Op {
    }

    /** Frees an address inside a live block, {@code 1 + delta mod (usable - 1)} bytes past its start. */
    record Interior(int pick, long delta) implements Op {
    }

    /** Frees an address never handed out: anywhere ({@code inChunk} false), or inside a chunk the core holds. */
    record Stray(boolean inChunk, long offset) implements Op {
    }

    /** Calls {@code trim()}. */
    record Trim() implements Op {
    }
}
