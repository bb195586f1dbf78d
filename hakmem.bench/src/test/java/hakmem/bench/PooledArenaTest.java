package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pooled arenas ({@link Allocator#newArena()}, {@link Allocator#newSharedArena()}) against the JDK's arenas'
 * behaviour, per variant; and the JDK's {@link SegmentAllocator} methods run on the allocator itself.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PooledArenaTest {

    /** Sizes in every tier and the big-block path. */
    static final long[] SIZES = {0, 1, 7, 16, 48, 100, 256, 1000, 1025, 4096, 30_000, 40_000, 200_000, 2 << 20};

    static Allocator open(Concurrency variant) {
        return Hakmem.builder().concurrency(variant).shards(variant == Concurrency.LOCKED ? 1 : 2).learning(false).build();
    }

    enum Kind {
        CONFINED(Allocator::newArena, a -> Arena.ofConfined()),
        SHARED(Allocator::newSharedArena, a -> Arena.ofShared());

        final Function<Allocator, Arena> pooled;
        final Function<Allocator, Arena> jdk;

        Kind(Function<Allocator, Arena> pooled, Function<Allocator, Arena> jdk) {
            this.pooled = pooled;
            this.jdk = jdk;
        }
    }

    static List<Object[]> variantsAndKinds() {
        List<Object[]> out = new ArrayList<>();
        for (Concurrency c : Concurrency.values()) {
            for (Kind k : Kind.values()) {
                out.add(new Object[] {c, k});
            }
        }
        return out;
    }

    /** The exception {@code r} throws, or null. */
    static Throwable thrown(Runnable r) {
        try {
            r.run();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    /** The exception {@code r} throws on a new platform thread, or null. */
    static Throwable thrownOnAnotherThread(Runnable r) throws InterruptedException {
        AtomicReference<Throwable> out = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> out.set(thrown(r)));
        t.join();
        return out.get();
    }

    static void assertSameFailure(Throwable jdk, Throwable pooled, String what) {
        assertTrue(jdk != null, what + ": the JDK's arena throws");
        assertTrue(pooled != null, what + ": the pooled arena throws too (the JDK's threw " + jdk + ")");
        assertSame(jdk.getClass(), pooled.getClass(), what + ": " + pooled);
        assertEquals(jdk.getMessage(), pooled.getMessage(), what);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("variantsAndKinds")
    void segmentsAreZeroedAlignedDistinctAndInaccessibleAfterClose(Concurrency variant, Kind kind) {
        try (Allocator a = open(variant)) {
            Arena arena = kind.pooled.apply(a);
            List<MemorySegment> held = new ArrayList<>();
            for (long size : SIZES) {
                for (long align : new long[] {1, 8, 64, 4096}) {
                    MemorySegment s = arena.allocate(size, align);
                    assertEquals(size, s.byteSize());
                    assertEquals(0, s.address() % align, "alignment " + align);
                    assertEquals(arena.scope(), s.scope());
                    assertEquals(-1, s.mismatch(MemorySegment.ofArray(new byte[(int) size])), "zeroed");
                    s.fill((byte) held.size());
                    held.add(s);
                }
            }
            held.sort((x, y) -> Long.compareUnsigned(x.address(), y.address()));
            for (int i = 1; i < held.size(); i++) {
                MemorySegment prev = held.get(i - 1);
                assertTrue(held.get(i).address() >= prev.address() + Math.max(1, prev.byteSize()), "segments overlap");
            }
            MemorySegment some = held.get(held.size() / 2);
            assertTrue(arena.scope().isAlive());
            arena.close();
            assertFalse(arena.scope().isAlive());
            assertFalse(some.scope().isAlive());
            Throwable pooled = thrown(() -> some.get(ValueLayout.JAVA_BYTE, 0));
            Arena jdk = kind.jdk.apply(a);
            MemorySegment jdkSegment = jdk.allocate(16);
            jdk.close();
            assertSameFailure(thrown(() -> jdkSegment.get(ValueLayout.JAVA_BYTE, 0)), pooled, "access after close");
            assertInstanceOf(IllegalStateException.class, pooled);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("variantsAndKinds")
    void allocateAfterCloseAndCloseTwiceFailAsTheJdksDo(Concurrency variant, Kind kind) {
        try (Allocator a = open(variant)) {
            long live = a.stats().liveBlocks();
            Arena pooled = kind.pooled.apply(a);
            Arena jdk = kind.jdk.apply(a);
            pooled.allocate(32);
            jdk.allocate(32);
            pooled.close();
            jdk.close();
            assertSameFailure(thrown(() -> jdk.allocate(32)), thrown(() -> pooled.allocate(32)), "allocate after close");
            assertSameFailure(thrown(() -> jdk.allocateFrom("x")), thrown(() -> pooled.allocateFrom("x")), "allocateFrom after close");
            assertSameFailure(thrown(jdk::close), thrown(pooled::close), "close twice");
            assertEquals(live, a.stats().liveBlocks(), "a refused allocation gives its block back");
        }
    }

    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void confinedArenaUsedFromAnotherThreadFailsAsTheJdksDo(Concurrency variant) throws InterruptedException {
        try (Allocator a = open(variant)) {
            long live = a.stats().liveBlocks();
            Arena pooled = a.newArena();
            Arena jdk = Arena.ofConfined();
            MemorySegment ps = pooled.allocate(64);
            MemorySegment js = jdk.allocate(64);
            assertSameFailure(thrownOnAnotherThread(() -> jdk.allocate(8)), thrownOnAnotherThread(() -> pooled.allocate(8)),
                    "allocate on another thread");
            assertSameFailure(thrownOnAnotherThread(() -> js.get(ValueLayout.JAVA_INT, 0)),
                    thrownOnAnotherThread(() -> ps.get(ValueLayout.JAVA_INT, 0)), "access on another thread");
            assertSameFailure(thrownOnAnotherThread(jdk::close), thrownOnAnotherThread(pooled::close), "close on another thread");
            assertInstanceOf(WrongThreadException.class, thrownOnAnotherThread(() -> pooled.allocate(8)));
            // Still whole on its owner thread: the refused calls touched none of its blocks.
            assertEquals(live + 1, a.stats().liveBlocks());
            ps.set(ValueLayout.JAVA_INT, 0, 42);
            assertEquals(42, pooled.allocateFrom(ValueLayout.JAVA_INT, 42).get(ValueLayout.JAVA_INT, 0));
            pooled.close();
            jdk.close();
            assertEquals(live, a.stats().liveBlocks());
        }
    }

    /**
     * The first allocation of a confined arena, made on another thread: the JDK's check refuses it
     * before the arena takes its first region, so the pools hand out nothing and the owner carves from
     * a fresh region as if the call never happened.
     */
    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void aRefusedFirstAllocationTakesNoRegion(Concurrency variant) throws InterruptedException {
        try (Allocator a = open(variant)) {
            long live = a.stats().liveBlocks();
            Arena pooled = a.newArena();
            assertInstanceOf(WrongThreadException.class, thrownOnAnotherThread(() -> pooled.allocate(8)));
            assertEquals(live, a.stats().liveBlocks(), "no region taken for a refused call");
            MemorySegment first = pooled.allocate(8);
            MemorySegment second = pooled.allocate(8);
            assertEquals(first.address() + 8, second.address(), "carved one after the other");
            assertEquals(live + 1, a.stats().liveBlocks(), "one region for both");
            pooled.close();
            assertEquals(live, a.stats().liveBlocks());
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("variantsAndKinds")
    void recycledBlocksComeBackZeroed(Concurrency variant, Kind kind) {
        try (Allocator a = open(variant)) {
            Set<Long> seen = new HashSet<>();
            int reused = 0;
            for (int round = 0; round < 20; round++) {
                try (Arena arena = kind.pooled.apply(a)) {
                    for (int i = 0; i < 64; i++) {
                        long size = 16 + (i * 37 + round * 11) % 1500;
                        MemorySegment s = arena.allocate(size, 8);
                        if (!seen.add(s.address())) {
                            reused++;
                        }
                        assertEquals(-1, s.mismatch(MemorySegment.ofArray(new byte[(int) size])),
                                "round " + round + ": block " + i + " not zeroed");
                        s.fill((byte) 0xA5);
                    }
                }
            }
            assertTrue(reused > 100, "blocks were recycled: " + reused);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("variantsAndKinds")
    void closeFreesEveryBlock(Concurrency variant, Kind kind) {
        try (Allocator a = open(variant)) {
            long live = a.stats().liveBlocks();
            long liveBytes = a.stats().liveBytes();
            try (Arena arena = kind.pooled.apply(a)) {
                int n = 0;
                for (int k = 0; k < 3; k++) {
                    for (long size : SIZES) {
                        arena.allocate(size);
                        n++;
                    }
                }
                arena.allocateFrom("a string");
                arena.allocateFrom(ValueLayout.JAVA_LONG, 1, 2, 3);
                // Sizes 1..1000 (4.3 KiB in all, with the string and the longs) are carved from regions of
                // 2, 4 and 8 KiB; 0 and the larger sizes take a block each.
                long own = 3 * java.util.Arrays.stream(SIZES).filter(z -> z == 0 || z > 1024).count();
                long regions = a.stats().liveBlocks() - live - own;
                assertTrue(regions >= 1 && regions <= 3, "regions " + regions + " of " + n + " segments");
            }
            assertEquals(live, a.stats().liveBlocks(), "close freed every block");
            assertEquals(liveBytes, a.stats().liveBytes());
        }
    }

    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void sharedArenaServesSeveralThreadsAtOnce(Concurrency variant) throws Exception {
        int threads = 4;
        int perThread = 500;
        try (Allocator a = open(variant)) {
            long live = a.stats().liveBlocks();
            Arena arena = a.newSharedArena();
            MemorySegment[][] made = new MemorySegment[threads][perThread];
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                workers.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                        SplittableRandom r = new SplittableRandom(id);
                        for (int i = 0; i < perThread; i++) {
                            MemorySegment s = arena.allocate(1 + r.nextInt(3000), 8);
                            assertEquals(-1, s.mismatch(MemorySegment.ofArray(new byte[(int) s.byteSize()])), "zeroed");
                            s.fill(pattern(id, i));
                            made[id][i] = s;
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            start.countDown();
            for (Thread w : workers) {
                w.join();
            }
            assertTrue(failures.isEmpty(), () -> failures.toString());
            long blocks = a.stats().liveBlocks() - live;
            assertTrue(blocks > 0 && blocks < (long) threads * perThread, "small segments share regions: " + blocks);
            // Read on another thread than the writer's: the shared arena's segments are for everyone.
            for (int t = 0; t < threads; t++) {
                for (int i = 0; i < perThread; i++) {
                    MemorySegment s = made[t][i];
                    byte[] want = new byte[(int) s.byteSize()];
                    java.util.Arrays.fill(want, pattern(t, i));
                    assertEquals(-1, s.mismatch(MemorySegment.ofArray(want)), "thread " + t + " block " + i);
                }
            }
            arena.close();
            assertEquals(live, a.stats().liveBlocks());
        }
    }

    static byte pattern(int thread, int i) {
        return (byte) (thread * 61 + i * 7 + 1);
    }

    /**
     * Writers hammer a shared arena's segments while it closes: each write either lands before the close
     * or fails with the JDK's IllegalStateException, and once close returns the blocks can be handed out
     * again without a late write reaching them.
     */
    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void sharedCloseRacingAccessesLeavesNoWriterInsideTheBlocks(Concurrency variant) throws Exception {
        try (Allocator a = open(variant)) {
            for (int trial = 0; trial < 20; trial++) {
                Arena arena = a.newSharedArena();
                MemorySegment s = arena.allocate(4096, 64);
                List<Throwable> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
                CountDownLatch running = new CountDownLatch(2);
                List<Thread> writers = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    writers.add(Thread.ofPlatform().start(() -> {
                        running.countDown();
                        try {
                            while (true) {
                                s.fill((byte) 0x5A);
                                arena.allocate(64).fill((byte) 0x5A);
                            }
                        } catch (IllegalStateException expected) {
                            // the close won
                        } catch (Throwable e) {
                            wrong.add(e);
                        }
                    }));
                }
                running.await();
                arena.close();
                // The blocks are back in the pools: take them again and watch for a late write.
                List<MemorySegment> again = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    again.add(a.allocate(4096, 64).fill((byte) 0));
                    again.add(a.allocate(64, 8).fill((byte) 0));
                    // The regions the 64-byte segments were carved from: 2 KiB doubling to 32 KiB.
                    again.add(a.allocate(2048L << (i % 5), 16).fill((byte) 0));
                }
                for (Thread w : writers) {
                    w.join();
                }
                assertTrue(wrong.isEmpty(), () -> wrong.toString());
                for (MemorySegment g : again) {
                    assertEquals(-1, g.mismatch(MemorySegment.ofArray(new byte[(int) g.byteSize()])), "a write after close");
                    a.free(g);
                }
            }
            assertEquals(0, a.stats().liveBlocks());
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("variantsAndKinds")
    void anArenaOutlivingItsAllocatorStillCloses(Concurrency variant, Kind kind) {
        Allocator a = open(variant);
        Arena arena = kind.pooled.apply(a);
        MemorySegment s = arena.allocate(100);
        a.close();
        assertInstanceOf(IllegalStateException.class, thrown(() -> arena.allocate(8)));
        arena.close();
        assertFalse(s.scope().isAlive());
        assertInstanceOf(IllegalStateException.class, thrown(() -> s.get(ValueLayout.JAVA_BYTE, 0)));
        assertThrows(IllegalStateException.class, a::newArena);
        assertThrows(IllegalStateException.class, a::newSharedArena);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("variantsAndKinds")
    void badArgumentsAreRefusedAsTheJdksAre(Concurrency variant, Kind kind) {
        try (Allocator a = open(variant); Arena pooled = kind.pooled.apply(a); Arena jdk = kind.jdk.apply(a)) {
            long live = a.stats().liveBlocks();
            for (long[] bad : new long[][] {{-1, 8}, {8, 0}, {8, 3}, {8, -8}}) {
                Throwable j = thrown(() -> jdk.allocate(bad[0], bad[1]));
                Throwable p = thrown(() -> pooled.allocate(bad[0], bad[1]));
                assertInstanceOf(IllegalArgumentException.class, j);
                assertInstanceOf(IllegalArgumentException.class, p, "size " + bad[0] + " alignment " + bad[1]);
            }
            assertEquals(live, a.stats().liveBlocks());
        }
    }

    // ---- the allocator as the JDK's SegmentAllocator ------------------------------------------------

    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void allocateFromStringsAndArrays(Concurrency variant) {
        try (Allocator a = open(variant)) {
            long live = a.stats().liveBlocks();
            MemorySegment text = a.allocateFrom("text, and ünïcödé");
            assertEquals("text, and ünïcödé", text.getString(0));
            assertEquals("text, and ünïcödé".getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 1, text.byteSize());
            MemorySegment ints = a.allocateFrom(ValueLayout.JAVA_INT, 1, 2, 3);
            assertArrayEquals(new int[] {1, 2, 3}, ints.toArray(ValueLayout.JAVA_INT));
            assertEquals(0, ints.address() % ValueLayout.JAVA_INT.byteAlignment());
            double[] many = new double[5000];
            for (int i = 0; i < many.length; i++) {
                many[i] = i * 0.5;
            }
            MemorySegment doubles = a.allocateFrom(ValueLayout.JAVA_DOUBLE, many);
            assertArrayEquals(many, doubles.toArray(ValueLayout.JAVA_DOUBLE));
            MemorySegment one = a.allocateFrom(ValueLayout.JAVA_LONG, 0x1234_5678_9ABCL);
            assertEquals(0x1234_5678_9ABCL, one.get(ValueLayout.JAVA_LONG, 0));
            MemorySegment longs = a.allocate(ValueLayout.JAVA_LONG, 4);
            assertEquals(32, longs.byteSize());
            assertEquals(0, longs.address() % 8);
            assertEquals(live + 5, a.stats().liveBlocks());
            for (MemorySegment s : List.of(text, ints, doubles, one, longs)) {
                a.free(s);
            }
            assertEquals(live, a.stats().liveBlocks());
        }
    }

    /** libc's {@code div_t div(int, int)}: a struct returned by value goes to the SegmentAllocator passed. */
    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void downcallReturningAStructByValueAllocatesFromTheAllocator(Concurrency variant) throws Throwable {
        Linker linker = Linker.nativeLinker();
        StructLayout divT = MemoryLayout.structLayout(ValueLayout.JAVA_INT.withName("quot"), ValueLayout.JAVA_INT.withName("rem"));
        MethodHandle div = linker.downcallHandle(linker.defaultLookup().find("div").orElseThrow(),
                FunctionDescriptor.of(divT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        try (Allocator a = open(variant)) {
            long live = a.stats().liveBlocks();
            List<MemorySegment> results = new ArrayList<>();
            for (int x = -50; x <= 50; x += 7) {
                MemorySegment r = (MemorySegment) div.invokeExact((SegmentAllocator) a, x, 6);
                assertEquals(divT.byteSize(), r.byteSize());
                assertEquals(x / 6, r.get(ValueLayout.JAVA_INT, 0), "quot of " + x);
                assertEquals(x % 6, r.get(ValueLayout.JAVA_INT, 4), "rem of " + x);
                results.add(r);
            }
            assertEquals(live + results.size(), a.stats().liveBlocks(), "each result is a block of the allocator");
            for (MemorySegment r : results) {
                a.free(r);
            }
            assertEquals(live, a.stats().liveBlocks());
            try (Arena arena = a.newArena()) {
                MemorySegment r = (MemorySegment) div.invokeExact((SegmentAllocator) arena, 17, 5);
                assertEquals(3, r.get(ValueLayout.JAVA_INT, 0));
                assertEquals(2, r.get(ValueLayout.JAVA_INT, 4));
                assertEquals(arena.scope(), r.scope());
            }
            assertEquals(live, a.stats().liveBlocks());
        }
    }
}
