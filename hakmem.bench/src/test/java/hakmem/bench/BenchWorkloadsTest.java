package hakmem.bench;

import hakmem.bench.jmh.AllocFreeBatchBenchmark;
import hakmem.bench.jmh.AllocatorBenchmark;
import hakmem.bench.jmh.AllocFreePairBenchmark;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Param;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tiny runs of every workload (tenths of a second) through a backend that checks each handle is freed
 * exactly once and counts what is live: after a run nothing is. No timing is asserted.
 */
class BenchWorkloadsTest {

    /** glibc (always there on Linux) behind a ledger of live handles. */
    static final class Ledger implements Backend {
        final Backend inner;
        final Set<Long> live = ConcurrentHashMap.newKeySet();
        final AtomicLong mallocs = new AtomicLong();
        final AtomicLong frees = new AtomicLong();

        Ledger(Backend inner) {
            this.inner = inner;
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public long malloc(long size) {
            long h = inner.malloc(size);
            assertTrue(live.add(h), "handle handed out twice: " + h);
            mallocs.incrementAndGet();
            return h;
        }

        @Override
        public void free(long handle) {
            assertTrue(live.remove(handle), "freed twice or never allocated: " + handle);
            frees.incrementAndGet();
            inner.free(handle);
        }

        @Override
        public long address(long handle) {
            return inner.address(handle);
        }

        @Override
        public long liveBlocks() {
            return live.size();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    private static final Map<String, String> TINY = Map.of("seconds", "0.05", "warmup", "0", "window", "50",
            "blocks", "200", "rounds", "1", "min", "8", "max", "1000");

    private static List<Measurement> run(Workload w, String scenario, int threads, Ledger b) throws Exception {
        List<Measurement> ms = w.run(b, scenario, threads, TINY);
        assertEquals(0, b.live.size(), w.id() + " " + scenario + " left blocks live");
        assertTrue(b.mallocs.get() > 0, "it allocated");
        assertEquals(b.mallocs.get(), b.frees.get(), "every malloc has its free");
        for (Measurement m : ms) {
            assertTrue(m.ops() > 0 && m.seconds() > 0 && m.nsPerOp() > 0, m.toString());
            assertEquals(threads, m.threads());
            assertEquals("glibc", m.allocator());
        }
        return ms;
    }

    private static Ledger glibc() {
        return new Ledger(NativeBackend.load(NativeBackend.GLIBC));
    }

    @Test
    void larsonFreesEverythingAndCountsAllocationsAndFrees() throws Exception {
        Ledger b = glibc();
        Measurement m = run(Workload.LARSON, "larson", 2, b).get(0);
        assertTrue(Double.isNaN(m.p99Ns()), "larson is not timed per batch");
        assertTrue(m.ops() <= b.mallocs.get() + b.frees.get());
    }

    @Test
    void everyScenarioFreesEverythingAndReportsPercentiles() throws Exception {
        for (String s : List.of("json", "mir", "vm", "mixed")) {
            Measurement m = run(Workload.SCENARIOS, s, 1, glibc()).get(0);
            assertEquals(s, m.scenario());
            assertTrue(m.p50Ns() > 0 && m.p99Ns() >= m.p50Ns(), m.toString());
        }
    }

    @Test
    void appMixAtTwoThreadsFreesEverything() throws Exception {
        Measurement m = run(Workload.APPMIX, "appmix", 2, glibc()).get(0);
        assertEquals(0, m.ops() % 2, "mallocs and frees come in pairs");
    }

    @Test
    void remoteFreesDrainTheRingsAtEveryShare() throws Exception {
        for (String r : List.of("R=0%", "R=50%", "R=90%", "R=100%")) {
            run(Workload.REMOTE, r, 2, glibc());
        }
    }

    @Test
    void phaseShiftReportsEachPhaseInOrder() throws Exception {
        List<Measurement> ms = run(Workload.PHASE, "json,vm,app", 1, glibc());
        assertEquals(List.of("1:json", "2:vm", "3:app"), ms.stream().map(Measurement::scenario).toList());
    }

    @Test
    void sizeMixAndScenarioShapesAreWhatTheyClaim() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        int small = 0, medium = 0, large = 0;
        for (int i = 0; i < 100_000; i++) {
            int s = AppMix.size(r);
            assertTrue(s >= 16 && s <= 32768, "size " + s);
            if (s <= 256) {
                small++;
            } else if (s <= 2048) {
                medium++;
            } else {
                large++;
            }
        }
        assertEquals(80_000, small, 1000);
        assertEquals(15_000, medium, 1000);
        assertEquals(5_000, large, 500);
        assertEquals(1000, Scenario.JSON.sizes(1).length);
        assertEquals(64 << 10, Scenario.JSON.sizes(1)[0]);
        assertEquals(1110, Scenario.MIXED.sizes(1).length);
        int[] order = Scenario.MIXED.freeOrder(1110, 1).clone();
        Arrays.sort(order);
        for (int i = 0; i < order.length; i++) {
            assertEquals(i, order[i], "the free order is a permutation");
        }
    }

    @Test
    void arenaAndNettyBaselinesFreeEverythingThroughTheirHandleTables() throws Exception {
        for (String name : List.of("arena", "netty-pooled", "netty-adaptive")) {
            try (Backend b = Allocators.open(name)) {
                Workload.APPMIX.run(b, "appmix", 2, Map.of("seconds", "0.05", "warmup", "0", "window", "20"));
                assertEquals(0, b.liveBlocks(), name);
                assertEquals(0, b.liveBytes(), name);
                long h = b.malloc(100);
                Memory.touchEnds(b.address(h), 100);
                assertEquals(1, b.liveBlocks());
                b.free(h);
                assertThrows(IllegalArgumentException.class, () -> b.free(h), name + ": a double free is caught by the table");
            }
        }
    }

    @Test
    void handleTableTakesBackTheSlotsOfEndedThreads() throws Exception {
        HandleTable<String> t = new HandleTable<>(256);
        // 40 threads each leave slots cached (up to 128 each): far more than 256 unless ended threads' caches come back.
        for (int i = 0; i < 40; i++) {
            Thread th = new Thread(() -> {
                List<Long> hs = new ArrayList<>();
                for (int j = 0; j < 100; j++) {
                    hs.add(t.put("x", j, 1));
                }
                hs.forEach(t::remove);
            });
            th.start();
            th.join();
        }
        assertEquals(0, t.liveBlocks());
        long h = t.put("y", 42, 7);
        assertEquals(42, t.address(h));
        assertEquals(7, t.liveBytes());
        assertEquals("y", t.remove(h));
        assertThrows(IllegalArgumentException.class, () -> t.remove(0));
        assertThrows(IllegalArgumentException.class, () -> t.remove(257));
    }

    @Test
    void unavailableAllocatorsAreSkippedWithTheReason() {
        System.setProperty("hakmem.bench.lib.mimalloc", "/nonexistent/libmimalloc.so.2");
        try {
            Allocators.Unavailable e = assertThrows(Allocators.Unavailable.class, () -> Allocators.open("mimalloc"));
            assertTrue(e.getMessage().contains("/nonexistent/libmimalloc.so.2"), e.getMessage());
        } finally {
            System.clearProperty("hakmem.bench.lib.mimalloc");
        }
        assertThrows(IllegalArgumentException.class, () -> Allocators.open("nosuch"));
    }

    @Test
    void theFloorGivesEachThreadOneWritableBlockAndIsNoBaseline() throws Exception {
        try (Backend floor = Allocators.open("floor")) {
            long mine = floor.malloc(2 << 20);
            assertEquals(mine, floor.malloc(8), "one thread always gets its one block");
            Memory.touchPages(mine, 2 << 20);
            floor.free(mine);
            floor.free(mine); // frees nothing, so nothing to refuse
            long[] other = new long[1];
            Thread t = new Thread(() -> other[0] = floor.malloc(64));
            t.start();
            t.join();
            boolean sameSlot = ((t.threadId() ^ Thread.currentThread().threadId()) & (FloorBackend.SLOTS - 1)) == 0;
            assertEquals(sameSlot, mine == other[0], "a thread's window follows its id");
            Memory.touchPages(other[0], 64);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> floor.malloc((2 << 20) + 1));
            assertTrue(e.getMessage().contains(Long.toString((2 << 20) + 1)), e.getMessage());
            Larson.Result r = new Larson(Larson.Params.defaults(2).withSeconds(0.05), floor).run();
            assertTrue(r.allocations() > 0 && r.frees() > 0);
        }
        assertTrue(Allocators.select("baselines").stream().noneMatch(s -> s.name().equals("floor")));
        assertTrue(Allocators.select("all").stream().anyMatch(s -> s.name().equals("floor")));
    }

    @Test
    void jmhParamListsNameEveryAllocator() throws Exception {
        List<String> all = Allocators.ALL.stream().map(Allocators.Spec::name).toList();
        Param p = AllocatorBenchmark.class.getField("allocator").getAnnotation(Param.class);
        assertEquals(all, List.of(p.value()), "the JMH @Param allocator list must match Allocators.ALL");
        for (Class<?> c : List.of(AllocFreePairBenchmark.class, AllocFreeBatchBenchmark.class)) {
            assertEquals(AllocatorBenchmark.class, c.getSuperclass(), c.getSimpleName() + " takes its allocators from AllocatorBenchmark");
        }
    }
}
