package hakmem.api.runtime;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The debug mode's bookkeeping: every block gets {@link #GUARD} bytes of a known pattern right after the
 * size asked, checked when it is freed (a write past the end is reported with the block's address and
 * size), freed memory is poisoned so a use after free reads garbage, not stale data, and one allocation
 * in {@link #SAMPLE} records where it was made, for the leak report. A table of live blocks holds the
 * sizes asked (the tiers keep their own and do not say) and the site of each block (so the leak report
 * can say which sites leaked), which costs a map update per call: a mode for tests and investigations,
 * not production.
 */
final class DebugChecks {

    static final int GUARD = 16;
    static final byte GUARD_BYTE = (byte) 0xAB;
    static final byte POISON = (byte) 0xDE;
    static final int SAMPLE = 64;

    /** A live block: the size asked, its site's id (0: none) and, for one in {@link #SAMPLE}, where it was made. */
    private record Block(long size, int site, Throwable allocatedAt) {
    }

    private final ConcurrentHashMap<Long, Block> live = new ConcurrentHashMap<>();
    private final AtomicLong allocations = new AtomicLong();

    /** Bytes to ask the pools for a block of {@code size}. */
    static long withGuard(long size) {
        return size + GUARD;
    }

    /** Writes the guard after {@code size} bytes of the fresh block {@code p} of site {@code site} and records the block. */
    void allocated(long p, long size, int site) {
        MemorySegment.ofAddress(p + size).reinterpret(GUARD).fill(GUARD_BYTE);
        Throwable where = allocations.getAndIncrement() % SAMPLE == 0 ? new Throwable("allocated here") : null;
        live.put(p, new Block(size, site, where));
    }

    /**
     * The live blocks by site id (0: no site): per id, {blocks, bytes asked}. Exact when no other thread
     * allocates or frees meanwhile.
     */
    java.util.Map<Integer, long[]> liveBySite() {
        java.util.Map<Integer, long[]> out = new java.util.HashMap<>();
        for (Block b : live.values()) {
            long[] n = out.computeIfAbsent(b.site(), k -> new long[2]);
            n[0]++;
            n[1] += b.size();
        }
        return out;
    }

    /** The size asked for the live block {@code p}, or -1 if it is no block this mode knows. */
    long size(long p) {
        Block b = live.get(p);
        return b == null ? -1 : b.size();
    }

    /**
     * Takes {@code p} out of the table (of two racing frees one gets it), checks its guard and poisons
     * it; returns whether it was a block of this mode's, and throws {@link IllegalStateException}
     * describing a damaged guard after {@code free} has given the block back.
     */
    boolean free(long p, java.util.function.LongConsumer free) {
        Block b = live.remove(p);
        if (b == null) {
            return false;
        }
        MemorySegment guard = MemorySegment.ofAddress(p + b.size()).reinterpret(GUARD);
        String damage = null;
        for (int i = 0; i < GUARD && damage == null; i++) {
            byte got = guard.get(ValueLayout.JAVA_BYTE, i);
            if (got != GUARD_BYTE) {
                damage = "hakmem debug: the block at 0x" + Long.toHexString(p) + " of " + b.size()
                        + " bytes was written past its end: byte " + (b.size() + i) + " is 0x"
                        + Integer.toHexString(got & 0xFF) + " (it was freed all the same)";
            }
        }
        MemorySegment.ofAddress(p).reinterpret(b.size() + GUARD).fill(POISON);
        free.accept(p);
        if (damage != null) {
            throw new IllegalStateException(damage);
        }
        return true;
    }

    /**
     * Where some of the live blocks were allocated, for the leak report (at most {@code max}), each with its
     * site's name from {@code siteNames}.
     */
    List<String> sampledStacks(int max, java.util.function.IntFunction<String> siteNames) {
        List<String> out = new ArrayList<>();
        for (var e : live.entrySet()) {
            if (out.size() == max) {
                break;
            }
            if (e.getValue().allocatedAt() != null) {
                StringBuilder sb = new StringBuilder("block 0x").append(Long.toHexString(e.getKey())).append(" of ")
                        .append(e.getValue().size()).append(" bytes, site ").append(siteNames.apply(e.getValue().site()))
                        .append(", allocated at:");
                for (StackTraceElement f : e.getValue().allocatedAt().getStackTrace()) {
                    sb.append("\n    at ").append(f);
                }
                out.add(sb.toString());
            }
        }
        return out;
    }
}
