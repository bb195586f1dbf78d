package hakmem.bench;

import hakmem.api.Concurrency;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Every allocator the bench knows, in report order: hakmem's concurrency variants, then the baselines.
 * A new hakmem variant or baseline is one line in {@link #ALL}. An allocator that cannot be opened
 * where the bench runs (a variant not built yet, a library not installed, a jar not on the path) is
 * reported as skipped with the reason, never dropped.
 */
public final class Allocators {

    /** What an allocator is, for selecting groups ({@code --allocators hakmem,native}) and for ratios. */
    public enum Group {
        HAKMEM, NATIVE, JDK, NETTY,
        /** The harness with no allocator ({@link FloorBackend}): a bound, not a baseline. */
        FLOOR;

        public boolean baseline() {
            return this != HAKMEM && this != FLOOR;
        }
    }

    /**
     * One allocator.
     *
     * @param name       its id on the command line and in reports
     * @param group      hakmem or which kind of baseline
     * @param what       one line for {@code list}
     * @param open       opens it; throws {@link UnsupportedOperationException}, {@link IllegalStateException}
     *                   or a {@link LinkageError} when it cannot be opened here
     * @param env        environment the measuring child JVM needs
     * @param jvmArgs    JVM options the measuring child needs
     * @param maxSeconds longest measurement worth making with it (a very slow baseline is run briefly)
     */
    public record Spec(String name, Group group, String what, Supplier<Backend> open, Map<String, String> env,
                       List<String> jvmArgs, double maxSeconds) {

        /** Seconds to measure for a request of {@code seconds}. */
        public double cap(double seconds) {
            return Math.min(seconds, maxSeconds);
        }
    }

    /** Debian's libjemalloc.so.2 uses static TLS: dlopen fails unless the JVM starts with room reserved. */
    public static final Map<String, String> JEMALLOC_ENV = Map.of("GLIBC_TUNABLES", "glibc.rtld.optional_static_tls=16384");

    public static final List<Spec> ALL = List.of(
            hakmem("hakmem-locked", Concurrency.LOCKED),
            hakmem("hakmem-sharded", Concurrency.SHARDED),
            hakmem("hakmem-tls", Concurrency.TLS),
            c(NativeBackend.GLIBC, "glibc malloc/free (default lookup)", Map.of()),
            c(NativeBackend.JEMALLOC, "jemalloc from libjemalloc.so.2", JEMALLOC_ENV),
            c(NativeBackend.MIMALLOC, "mimalloc mi_malloc/mi_free from libmimalloc.so.2", Map.of()),
            c(NativeBackend.TCMALLOC, "tcmalloc tc_malloc/tc_free from libtcmalloc_minimal.so.4", Map.of()),
            new Spec("arena", Group.JDK, "one Arena.ofShared() per block, closed on free (runs at most 1 s)",
                    ArenaBackend::new, Map.of(), List.of(), 1.0),
            new Spec("netty-pooled", Group.NETTY, "Netty PooledByteBufAllocator direct buffers, allocate + release",
                    () -> NettyBackend.pooled(), Map.of(), nettyJvmArgs(), Double.MAX_VALUE),
            new Spec("netty-adaptive", Group.NETTY, "Netty AdaptiveByteBufAllocator direct buffers, allocate + release",
                    () -> NettyBackend.adaptive(), Map.of(), nettyJvmArgs(), Double.MAX_VALUE),
            new Spec("floor", Group.FLOOR, "no allocator: each thread gets one scratch block over and over, free does nothing"
                    + " (the harness's own cost, above any allocator's reach)", FloorBackend::new, Map.of(), List.of(), Double.MAX_VALUE));

    /** Names that select several allocators at once. */
    public static final Map<String, String> GROUPS = Map.of(
            "all", "every allocator",
            "hakmem", "hakmem's concurrency variants",
            "native", "glibc, jemalloc, mimalloc, tcmalloc",
            "baselines", "every allocator that is neither hakmem nor the floor",
            "jdk", "arena",
            "netty", "netty-pooled, netty-adaptive");

    private Allocators() {
    }

    /** Netty uses sun.misc.Unsafe for direct memory when allowed: allow it quietly, as a Netty user would. */
    private static List<String> nettyJvmArgs() {
        return List.of("--sun-misc-unsafe-memory-access=allow");
    }

    private static Spec hakmem(String name, Concurrency c) {
        return new Spec(name, Group.HAKMEM, "hakmem, Concurrency." + c + ", every tier found",
                () -> new HakmemBackend(name, c), Map.of(), List.of(), Double.MAX_VALUE);
    }

    private static Spec c(NativeBackend.Kind kind, String what, Map<String, String> env) {
        return new Spec(kind.name(), Group.NATIVE, what + " through FFM downcalls",
                () -> NativeBackend.load(kind), env, List.of(), Double.MAX_VALUE);
    }

    public static Spec spec(String name) {
        for (Spec s : ALL) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown allocator '" + name + "'; known: " + names(ALL) + ", groups: " + GROUPS.keySet());
    }

    /**
     * The allocators named by a comma-separated list of names and group names, in report order, each once.
     */
    public static List<Spec> select(String list) {
        Set<String> wanted = new LinkedHashSet<>();
        for (String raw : list.split(",")) {
            String n = raw.trim().toLowerCase(Locale.ROOT);
            if (n.isEmpty()) {
                continue;
            }
            switch (n) {
                case "all" -> ALL.forEach(s -> wanted.add(s.name()));
                case "hakmem" -> ALL.stream().filter(s -> s.group() == Group.HAKMEM).forEach(s -> wanted.add(s.name()));
                case "native" -> ALL.stream().filter(s -> s.group() == Group.NATIVE).forEach(s -> wanted.add(s.name()));
                case "baselines" -> ALL.stream().filter(s -> s.group().baseline()).forEach(s -> wanted.add(s.name()));
                case "jdk" -> ALL.stream().filter(s -> s.group() == Group.JDK).forEach(s -> wanted.add(s.name()));
                case "netty" -> ALL.stream().filter(s -> s.group() == Group.NETTY).forEach(s -> wanted.add(s.name()));
                default -> wanted.add(spec(n).name());
            }
        }
        if (wanted.isEmpty()) {
            throw new IllegalArgumentException("no allocator named in '" + list + "'");
        }
        List<Spec> out = new ArrayList<>();
        for (Spec s : ALL) {
            if (wanted.contains(s.name())) {
                out.add(s);
            }
        }
        return out;
    }

    /**
     * Opens {@code name} in this JVM, or throws {@link Unavailable} with the reason it cannot be used here.
     */
    public static Backend open(String name) {
        Spec s = spec(name);
        try {
            return s.open().get();
        } catch (UnsupportedOperationException | IllegalStateException e) {
            throw new Unavailable(e.getMessage(), e);
        } catch (LinkageError e) {
            throw new Unavailable("cannot load its classes here (" + e + ")", e);
        }
    }

    static List<String> names(List<Spec> specs) {
        return specs.stream().map(Spec::name).toList();
    }

    /** An allocator that cannot be used in this JVM; the message says why. */
    public static final class Unavailable extends RuntimeException {
        public Unavailable(String reason, Throwable cause) {
            super(reason, cause);
        }
    }
}
