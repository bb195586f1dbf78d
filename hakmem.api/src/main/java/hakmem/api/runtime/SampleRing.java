package hakmem.api.runtime;

import hakmem.api.spi.SampleSink;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded ring of samples that writers never wait on: each claims a slot with one increment (a
 * sample is taken once in many requests, so the counter is rarely contended) and overwrites whatever
 * the slot held. A slot carries the sequence number of the sample in it, written last; the reader
 * (the learner's thread, one at a time) keeps only slots whose number is the one it expects before and
 * after it reads them, and counts the rest as lost: overwritten before it came, or torn while it read.
 */
final class SampleRing {

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
    /** Longs per slot: sequence, kind|tier|site, size, nanos|weight. */
    private static final int WIDTH = 4;
    static final int CAPACITY = 4096;

    private final long[] slots = new long[CAPACITY * WIDTH];
    private final AtomicLong next = new AtomicLong();
    /** Reader's side, guarded by the reader's lock (see {@link #drain}). */
    private long read;

    SampleRing() {
        for (int i = 0; i < CAPACITY; i++) {
            slots[i * WIDTH] = -1; // no sample numbered -1: an unwritten slot is never taken for one
        }
    }

    /**
     * Records one sample: kind 0..7, tier 0..255, site 0..2^20-1, nanos clamped to 2^40-1, weight 0..2^23.
     */
    void record(int kind, long size, int site, int tier, long nanos, int weight) {
        long seq = next.getAndIncrement();
        int at = (int) (seq & (CAPACITY - 1)) * WIDTH;
        SLOT.setOpaque(slots, at, -1L);
        VarHandle.storeStoreFence();
        slots[at + 1] = kind | (long) tier << 3 | (long) site << 11;
        slots[at + 2] = size;
        slots[at + 3] = Math.min(Math.max(nanos, 0), (1L << 40) - 1) | (long) weight << 40;
        SLOT.setRelease(slots, at, seq);
    }

    /** Hands the samples recorded since the last drain to {@code sink}; returns how many were lost. */
    synchronized long drain(SampleSink sink) {
        long end = next.get();
        long lost = 0;
        if (end - read > CAPACITY) {
            lost = end - read - CAPACITY;
            read = end - CAPACITY;
        }
        for (; read < end; read++) {
            int at = (int) (read & (CAPACITY - 1)) * WIDTH;
            long seq = (long) SLOT.getAcquire(slots, at);
            if (seq < read) {
                break; // claimed, not yet written: take it next time
            }
            long head = slots[at + 1];
            long size = slots[at + 2];
            long tail = slots[at + 3];
            VarHandle.loadLoadFence();
            if (seq != read || (long) SLOT.getOpaque(slots, at) != read) {
                lost++;
                continue;
            }
            sink.sample((int) (head & 7), size, (int) (head >>> 11), (int) (head >>> 3) & 0xFF,
                    tail & ((1L << 40) - 1), (int) (tail >>> 40));
        }
        return lost;
    }
}
