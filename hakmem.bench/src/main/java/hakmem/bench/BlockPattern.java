package hakmem.bench;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The contents a verifying workload writes into a block and checks before freeing it. Every word is a
 * mix of its own address and the block's tag, so a block handed to two users at once, a stray write, a
 * block moved or a stale block all read back wrong.
 *
 * <p>A block of at most {@link #WHOLE} bytes is written whole (8-byte words, then the tail byte by byte).
 * A larger one gets its first and last 8 bytes, the words at each eighth of it and one word per
 * {@link Memory#PAGE} from its start: every page it spans is touched, so resident memory follows what
 * is allocated. Words are 8-aligned from the block's start; one that would overlap the last word (which
 * may be unaligned) is left out, so no write covers another and every checked byte has one writer.
 */
public final class BlockPattern {

    /** Blocks up to this size (the tiny tier's range) are written and checked whole. */
    public static final long WHOLE = 1024;

    private static final MemorySegment ALL = Memory.ALL;
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED;

    private BlockPattern() {
    }

    /** The word expected at {@code address} in a block tagged {@code tag} (SplitMix64's finaliser). */
    static long word(long address, long tag) {
        long z = address * 0x9E3779B97F4A7C15L ^ tag;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Writes the pattern of {@code tag} into the {@code size} bytes at {@code address}. */
    public static void fill(long address, long size, long tag) {
        if (size <= WHOLE) {
            long off = 0;
            for (; off + 8 <= size; off += 8) {
                ALL.set(WORD, address + off, word(address + off, tag));
            }
            for (; off < size; off++) {
                ALL.set(ValueLayout.JAVA_BYTE, address + off, (byte) word(address + off, tag));
            }
            return;
        }
        long last = size - 8;
        ALL.set(WORD, address, word(address, tag));
        ALL.set(WORD, address + last, word(address + last, tag));
        for (int k = 1; k < 8; k++) {
            long off = (size * k / 8) & ~7L;
            if (off + 8 <= last) {
                ALL.set(WORD, address + off, word(address + off, tag));
            }
        }
        for (long off = Memory.PAGE; off + 8 <= last; off += Memory.PAGE) {
            ALL.set(WORD, address + off, word(address + off, tag));
        }
    }

    /**
     * Checks what {@link #fill} wrote: the offset of the first byte that differs (of the first differing
     * word for a large block), or -1 when the block is intact.
     */
    public static long firstMismatch(long address, long size, long tag) {
        if (size <= WHOLE) {
            long off = 0;
            for (; off + 8 <= size; off += 8) {
                if (ALL.get(WORD, address + off) != word(address + off, tag)) {
                    return off;
                }
            }
            for (; off < size; off++) {
                if (ALL.get(ValueLayout.JAVA_BYTE, address + off) != (byte) word(address + off, tag)) {
                    return off;
                }
            }
            return -1;
        }
        long last = size - 8;
        if (ALL.get(WORD, address) != word(address, tag)) {
            return 0;
        }
        for (int k = 1; k < 8; k++) {
            long off = (size * k / 8) & ~7L;
            if (off + 8 <= last && ALL.get(WORD, address + off) != word(address + off, tag)) {
                return off;
            }
        }
        for (long off = Memory.PAGE; off + 8 <= last; off += Memory.PAGE) {
            if (ALL.get(WORD, address + off) != word(address + off, tag)) {
                return off;
            }
        }
        if (ALL.get(WORD, address + last) != word(address + last, tag)) {
            return last;
        }
        return -1;
    }

    /** What the word (or byte) at {@code offset} should hold and holds, for a corruption report. */
    public static String describe(long address, long size, long tag, long offset) {
        boolean bytes = size <= WHOLE && offset + 8 > size;
        long expected = word(address + offset, tag);
        long found = bytes ? ALL.get(ValueLayout.JAVA_BYTE, address + offset) : ALL.get(WORD, address + offset);
        return bytes
                ? String.format(java.util.Locale.ROOT, "byte at +%d: expected 0x%02x, found 0x%02x", offset, expected & 0xff, found & 0xff)
                : String.format(java.util.Locale.ROOT, "word at +%d: expected 0x%016x, found 0x%016x", offset, expected, found);
    }
}
