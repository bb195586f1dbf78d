package hakmem.bench;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

/** Touching blocks, and what the process holds. */
public final class Memory {

    /** All of memory as one segment, so touching a block makes no segment object per step. */
    public static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    public static final int PAGE = 4096;

    private Memory() {
    }

    /** Writes one byte in every 4 KiB page of the block and its last byte: the block is "used". */
    public static void touchPages(long address, long size) {
        for (long off = 0; off < size; off += PAGE) {
            ALL.set(ValueLayout.JAVA_BYTE, address + off, (byte) off);
        }
        ALL.set(ValueLayout.JAVA_BYTE, address + size - 1, (byte) 1);
    }

    /** Writes the first byte of the block. */
    public static void touchFirst(long address, long size) {
        ALL.set(ValueLayout.JAVA_BYTE, address, (byte) size);
    }

    /** Writes the first and the last byte of the block. */
    public static void touchEnds(long address, long size) {
        ALL.set(ValueLayout.JAVA_BYTE, address, (byte) size);
        ALL.set(ValueLayout.JAVA_BYTE, address + size - 1, (byte) 1);
    }

    /** Peak resident set of this process (VmHWM in /proc/self/status), KiB; -1 where unknown. */
    public static long peakRssKiB() {
        return status("VmHWM:");
    }

    /** Resident set of this process now (VmRSS in /proc/self/status), KiB; -1 where unknown. */
    public static long rssKiB() {
        return status("VmRSS:");
    }

    private static long status(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
