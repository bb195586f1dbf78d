package hakmem.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * A C allocator called through FFM downcalls, the way a Java user reaches it: glibc from the default
 * lookup, the others from their shared libraries. Downcalls are {@code critical} (no thread-state
 * transition) and, for the first allocator a JVM loads, made through {@code static final} method
 * handles, which the JIT turns into a direct call: the cheapest call a Java user can make, so the
 * baselines are as fast as they can be. Every measurement runs in a JVM of its own, so it always gets
 * that path; further allocators loaded in the same JVM (tests) call through instance fields, which
 * costs an indirect call per request.
 */
public final class NativeBackend implements Backend {

    /** A native allocator the bench knows: library (null for libc) and its malloc/free symbols. */
    public record Kind(String name, String library, String mallocSymbol, String freeSymbol) {
    }

    public static final Kind GLIBC = new Kind("glibc", null, "malloc", "free");
    public static final Kind JEMALLOC = new Kind("jemalloc", "libjemalloc.so.2", "malloc", "free");
    public static final Kind MIMALLOC = new Kind("mimalloc", "libmimalloc.so.2", "mi_malloc", "mi_free");
    public static final Kind TCMALLOC = new Kind("tcmalloc", "libtcmalloc_minimal.so.4", "tc_malloc", "tc_free");

    /** The handles of the first allocator loaded in this JVM, set once before {@link Bound} is first read. */
    private static MethodHandle firstMalloc;
    private static MethodHandle firstFree;

    /** Constants the JIT folds: initialized on first use, from the first allocator loaded. */
    private static final class Bound {
        static final MethodHandle MALLOC = firstMalloc;
        static final MethodHandle FREE = firstFree;
    }

    private final Kind kind;
    private final MethodHandle malloc;
    private final MethodHandle free;
    /** Whether this allocator's handles are {@link Bound}'s. */
    private final boolean bound;

    private NativeBackend(Kind kind, MethodHandle malloc, MethodHandle free) {
        this.kind = kind;
        this.malloc = malloc;
        this.free = free;
        this.bound = bind(malloc, free);
    }

    private static synchronized boolean bind(MethodHandle malloc, MethodHandle free) {
        if (firstMalloc == null) {
            firstMalloc = malloc;
            firstFree = free;
        }
        return Bound.MALLOC == malloc;
    }

    /**
     * Loads {@code kind}, or throws {@link IllegalStateException} saying why it cannot (the report shows
     * the reason and skips it).
     */
    public static NativeBackend load(Kind kind) {
        Linker linker = Linker.nativeLinker();
        SymbolLookup lookup;
        // -Dhakmem.bench.lib.NAME=PATH loads another build of a library (and lets tests make one unavailable).
        String library = kind.library() == null ? null : System.getProperty("hakmem.bench.lib." + kind.name(), kind.library());
        if (library == null) {
            lookup = linker.defaultLookup();
        } else {
            try {
                // The library stays loaded for the life of the JVM, as a Java user's would.
                lookup = SymbolLookup.libraryLookup(library, Arena.global());
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(library + " cannot be loaded (" + e.getMessage()
                        + "); install its Debian package to compare with it");
            }
        }
        MemorySegment m = lookup.find(kind.mallocSymbol())
                .orElseThrow(() -> new IllegalStateException("no symbol " + kind.mallocSymbol() + " in " + library));
        MemorySegment f = lookup.find(kind.freeSymbol())
                .orElseThrow(() -> new IllegalStateException("no symbol " + kind.freeSymbol() + " in " + library));
        Linker.Option critical = Linker.Option.critical(false);
        return new NativeBackend(kind,
                linker.downcallHandle(m, FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), critical),
                linker.downcallHandle(f, FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG), critical));
    }

    @Override
    public String name() {
        return kind.name();
    }

    @Override
    public long malloc(long size) {
        try {
            long p = bound ? (long) Bound.MALLOC.invokeExact(size) : (long) malloc.invokeExact(size);
            if (p == 0) {
                throw new OutOfMemoryError(kind.name() + " malloc(" + size + ") returned NULL");
            }
            return p;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void free(long address) {
        try {
            if (bound) {
                Bound.FREE.invokeExact(address);
            } else {
                free.invokeExact(address);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void close() {
    }
}
