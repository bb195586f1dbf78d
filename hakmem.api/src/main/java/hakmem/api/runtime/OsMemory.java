package hakmem.api.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * mmap, munmap and madvise through FFM downcalls (Linux on x86_64 and aarch64). Addresses travel as
 * {@code long}: both ABIs pass pointers in integer registers.
 */
public final class OsMemory implements PageSource {

    private static final int PROT_NONE = 0;
    private static final int PROT_RW = 0x1 | 0x2;
    private static final int MAP_PRIVATE = 0x02;
    private static final int MAP_FIXED = 0x10;
    private static final int MAP_ANONYMOUS = 0x20;
    private static final int MAP_NORESERVE = 0x4000;
    private static final int MADV_DONTNEED = 4;
    private static final long MAP_FAILED = -1L;

    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;
    private static final MethodHandle MADVISE;
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(
            java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));

    /** The OS page size. */
    public static final long PAGE_SIZE;

    static {
        Platform.check();
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        Linker.Option errno = Linker.Option.captureCallState("errno");
        MMAP = linker.downcallHandle(libc.find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG), errno);
        MUNMAP = linker.downcallHandle(libc.find("munmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), errno);
        MADVISE = linker.downcallHandle(libc.find("madvise").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT), errno);
        MethodHandle pageSize = linker.downcallHandle(libc.find("getpagesize").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT));
        try {
            PAGE_SIZE = (int) pageSize.invokeExact();
        } catch (Throwable t) {
            throw new ExceptionInInitializerError(t);
        }
    }

    private OsMemory() {
    }

    /** The OS itself. */
    static final PageSource SYSTEM = new OsMemory();

    /** Reserves address space only: no access, no commit charge. Throws OutOfMemoryError if refused. */
    @Override
    public long reserve(long length) {
        return map(0, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, "reserve");
    }

    /** Maps fresh zeroed read-write pages anywhere. Throws OutOfMemoryError if refused. */
    @Override
    public long mapFresh(long length) {
        return map(0, length, PROT_RW, MAP_PRIVATE | MAP_ANONYMOUS, "map");
    }

    /** Replaces {@code [address, +length)} of a reservation with fresh zeroed read-write pages. */
    @Override
    public void commit(long address, long length) {
        map(address, length, PROT_RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, "commit");
    }

    /** Gives {@code [address, +length)} back to the OS and leaves it reserved and inaccessible. */
    @Override
    public void decommit(long address, long length) {
        map(address, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, "decommit");
    }

    /**
     * Gives the pages of {@code [address, +length)} back to the OS and leaves the range mapped read-write,
     * reading as zero: for memory that a call racing a close may still touch.
     */
    @Override
    public void drop(long address, long length) {
        map(address, length, PROT_RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, "drop");
    }

    @Override
    public void unmap(long address, long length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int rc = (int) MUNMAP.invokeExact(state, address, length);
            if (rc != 0) {
                throw new IllegalStateException("munmap(0x" + Long.toHexString(address) + ", " + length
                        + ") failed, errno " + (int) ERRNO.get(state, 0L));
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** madvise(DONTNEED): the pages stay mapped and read as zero on next touch. */
    @Override
    public void discard(long address, long length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int rc = (int) MADVISE.invokeExact(state, address, length, MADV_DONTNEED);
            if (rc != 0) {
                throw new IllegalStateException("madvise(0x" + Long.toHexString(address) + ", " + length
                        + ", DONTNEED) failed, errno " + (int) ERRNO.get(state, 0L));
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static long map(long address, long length, int prot, int flags, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            long p = (long) MMAP.invokeExact(state, address, length, prot, flags, -1, 0L);
            if (p == MAP_FAILED) {
                int err = (int) ERRNO.get(state, 0L);
                throw new OutOfMemoryError("hakmem: mmap (" + what + ") of " + length + " bytes refused by the OS, errno " + err);
            }
            if ((flags & MAP_FIXED) != 0 && p != address) {
                throw new IllegalStateException("mmap MAP_FIXED moved 0x" + Long.toHexString(address));
            }
            return p;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
