package hakmem.bench;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Not an allocator: what a workload costs with no allocator at all. Every {@code malloc} returns the
 * calling thread's one scratch window (picked by thread id, so it stays in the thread's cache) and
 * {@code free} does nothing, so blocks alias one another. Its speed bounds from above what any allocator
 * could reach in the same harness: no allocator does less work or touches memory more cache-friendly.
 * Windows are {@value #WINDOW_BYTES} bytes, enough for every workload's largest block (2 MiB); larger
 * requests are refused. There are {@value #SLOTS} of them, by thread id: larson starts a thread every
 * few hundred thousand steps, and two live threads share a window only if their ids are that many
 * apart. The mapping (8 GiB) reserves address space only ({@code MAP_NORESERVE}): pages are committed
 * as workloads touch them.
 */
public final class FloorBackend implements Backend {

    static final long WINDOW_BYTES = 2L << 20;
    static final int SLOTS = 4096;
    private static final long MAPPING = SLOTS * WINDOW_BYTES;

    private static final int PROT_READ_WRITE = 0x3;
    private static final int MAP_PRIVATE_ANONYMOUS_NORESERVE = 0x02 | 0x20 | 0x4000;

    private final MethodHandle munmap;
    private final long base;
    private boolean closed;

    public FloorBackend() {
        Linker linker = Linker.nativeLinker();
        MethodHandle mmap = linker.downcallHandle(linker.defaultLookup().find("mmap").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
        this.munmap = linker.downcallHandle(linker.defaultLookup().find("munmap").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        long at;
        try {
            at = (long) mmap.invokeExact(0L, MAPPING, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS_NORESERVE, -1, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException("mmap failed: " + t, t);
        }
        if (at == -1) {
            throw new IllegalStateException("mmap of " + MAPPING + " bytes of address space refused");
        }
        this.base = at;
    }

    @Override
    public String name() {
        return "floor";
    }

    @Override
    public long malloc(long size) {
        if (size > WINDOW_BYTES) {
            throw new IllegalArgumentException("the floor serves blocks of at most " + WINDOW_BYTES + " bytes: " + size);
        }
        return base + ((Thread.currentThread().threadId() & (SLOTS - 1)) * WINDOW_BYTES);
    }

    @Override
    public void free(long handle) {
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            int rc = (int) munmap.invokeExact(base, MAPPING);
            if (rc != 0) {
                throw new IllegalStateException("munmap failed: " + rc);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
