package hakmem.api.runtime;

import hakmem.api.Allocator;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;
import hakmem.api.spi.Learner;
import hakmem.api.spi.LearnerContext;
import hakmem.api.spi.LearnerProvider;
import hakmem.api.spi.Policy;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Records a JFR file while a workload runs through every slow path that emits an event, then reads the
 * file back with {@code jdk.jfr.consumer} and checks each event's fields against what the workload did.
 */
class JfrEventsTest {

    static final List<String> EVENTS = List.of("hakmem.ChunkMapped", "hakmem.ChunkUnmapped", "hakmem.CacheRefill",
            "hakmem.CacheFlush", "hakmem.BigCacheHit", "hakmem.BigCacheMiss", "hakmem.PolicyChange", "hakmem.Leak");

    /** Blocks allocated and freed first: more than the depot holds (512 KiB per class). */
    static final int BLOCKS = 20_000;

    /** A learner that publishes {@link Policy#LEAN} when it starts, and nothing else. */
    private static final LearnerProvider LEAN = new LearnerProvider() {
        @Override
        public String id() {
            return "lean";
        }

        @Override
        public Learner start(LearnerContext context) {
            context.publish(Policy.LEAN);
            return new Learner() {
                @Override
                public String state() {
                    return "lean";
                }

                @Override
                public void close() {
                }
            };
        }
    };

    @Test
    void eventsOfAWorkloadAreRecordedWithTheirFields(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("hakmem.jfr");
        try (Recording r = new Recording()) {
            for (String e : EVENTS) {
                r.enable(e).withThreshold(Duration.ZERO); // every batch, not only the slow ones
            }
            r.start();
            workload();
            r.stop();
            r.dump(file);
        }
        Map<String, List<RecordedEvent>> byName = new LinkedHashMap<>();
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            byName.computeIfAbsent(e.getEventType().getName(), n -> new ArrayList<>()).add(e);
        }
        for (String name : EVENTS) { // a sample, for people reading the test's output
            List<RecordedEvent> es = byName.getOrDefault(name, List.of());
            System.out.println(name + " x" + es.size() + (es.isEmpty() ? "" : ": " + fields(es.get(0))));
        }

        // Chunks: the fixed tier's core of each shard took one; trim released them (kept committed: the
        // policy retains 8 MiB), then gave the retained ones back to the OS.
        List<RecordedEvent> mapped = byName.get("hakmem.ChunkMapped");
        for (int shard = 0; shard < 2; shard++) {
            int s = shard;
            RecordedEvent m = one(mapped, e -> e.getString("tier").equals("fixed") && e.getInt("shard") == s);
            assertEquals(ChunkSpace.CHUNK_SIZE, m.getLong("bytes"));
            assertEquals(0, m.getLong("address") & (ChunkSpace.CHUNK_SIZE - 1), "aligned to its size");
            assertFalse(m.getBoolean("reused"), "fresh pages");
            long address = m.getLong("address");
            one(byName.get("hakmem.ChunkUnmapped"), e -> e.getLong("address") == address && e.getString("tier").equals("fixed")
                    && e.getInt("shard") == s && e.getBoolean("retained"));
            one(byName.get("hakmem.ChunkUnmapped"), e -> e.getLong("address") == address
                    && e.getString("tier").equals(JfrEvents.RETAINED) && e.getInt("shard") == -1 && !e.getBoolean("retained"));
        }
        // The chunk space alone: a released chunk kept committed is handed over again as it is.
        RecordedEvent reused = one(mapped, e -> e.getString("tier").equals("direct") && e.getBoolean("reused"));
        one(mapped, e -> e.getString("tier").equals("direct") && !e.getBoolean("reused")
                && e.getLong("address") == reused.getLong("address"));

        // Refills from the cores: the depot was empty for the first BLOCKS requests; the 100 after the frees came
        // from the magazine and the depot (no event). Every batch is half a magazine (32 of 64-byte blocks
        // today: not asserted, the magazines' sizes may change).
        List<RecordedEvent> refills = byName.get("hakmem.CacheRefill");
        int batch = refills.get(0).getInt("blocks");
        assertTrue(batch > 0 && refills.stream().allMatch(e -> e.getString("tier").equals("fixed")
                && e.getLong("blockSize") == 64 && e.getInt("blocks") == batch), () -> fields(refills.get(0)));
        long fromCore = sum(refills, e -> e.getInt("shard") == 0);
        assertTrue(fromCore >= BLOCKS && fromCore < BLOCKS + batch, fromCore + " blocks from shard 0's core for " + BLOCKS);
        one(refills, e -> e.getInt("shard") == 1); // the other thread's one block
        assertTrue(refills.stream().allMatch(e -> !e.getDuration().isNegative()));

        // Flushes to the cores: full magazines' halves once the depot was full (before, the depot took them:
        // no event); the other thread's frees of shard 0's blocks went home 64 at a time.
        List<RecordedEvent> flushes = byName.get("hakmem.CacheFlush");
        List<RecordedEvent> toCores = flushes.stream().filter(e -> e.getString("destination").equals("cores")).toList();
        assertTrue(toCores.size() * batch < BLOCKS - Depots.DEPOT_BYTES / 2 / 64, toCores.size() + " flushes to the cores");
        assertTrue(toCores.size() * batch >= BLOCKS - Depots.DEPOT_BYTES / 2 / 64 - 2 * batch, toCores.size() + " flushes to the cores");
        assertTrue(toCores.stream().allMatch(e -> e.getString("tier").equals("fixed") && e.getLong("blockSize") == 64
                && e.getInt("blocks") == batch && e.getInt("coreTrips") == 1 && e.getInt("shard") == 0),
                () -> fields(toCores.get(0)));
        RecordedEvent away = one(flushes, e -> e.getString("destination").equals("away"));
        assertEquals(ThreadCache.AWAY, away.getInt("blocks"));
        assertEquals("fixed", away.getString("tier"));
        assertEquals(0, away.getLong("blockSize"));
        assertEquals(1, away.getInt("coreTrips"), "one core's blocks: one lock section");
        assertEquals(1, away.getInt("shard"), "the freeing thread's shard");

        // Big blocks: a miss mapped 100,000 bytes rounded to pages; the next close size reused it.
        RecordedEvent miss = one(byName.get("hakmem.BigCacheMiss"), e -> e.getLong("size") == 100_000);
        assertEquals(102_400, miss.getLong("mappedBytes"));
        assertEquals(0, miss.getInt("cachedBlocks"));
        RecordedEvent hit = one(byName.get("hakmem.BigCacheHit"), e -> e.getLong("size") == 90_000);
        assertEquals(102_400, hit.getLong("blockBytes"));
        assertEquals(0, hit.getInt("cachedBlocks"), "none left once it is taken");
        assertEquals(0, hit.getLong("cachedBytes"));

        // The learner's one publication: the default policy to the lean one.
        RecordedEvent policy = one(byName.get("hakmem.PolicyChange"), e -> true);
        assertEquals(Policy.DEFAULT.toString(), policy.getString("previous"));
        assertEquals(Policy.LEAN.toString(), policy.getString("next"));
        assertTrue(policy.getString("allocator").startsWith("hakmem TLS x2 [fixed<=64"), policy.getString("allocator"));

        // The leak: two blocks of 10 bytes left live (big blocks: no tier), close() threw the report.
        RecordedEvent leak = one(byName.get("hakmem.Leak"), e -> true);
        assertEquals("jfr-leak", leak.getString("allocator"));
        assertEquals(2, leak.getLong("liveBlocks"));
        assertEquals(20, leak.getLong("liveBytes"));
        assertEquals("big 2 blocks (20 bytes)", leak.getString("byTier"));
        assertTrue(leak.getBoolean("thrown"));
        assertFalse(leak.getStackTrace().getFrames().isEmpty(), "where close() was called");
    }

    @Test
    void everyEventIsInCategoryHakmemWithAThresholdOnlyOnBatches() {
        FlightRecorder.getFlightRecorder(); // registers the JDK's event types; ours register as their classes load
        List<Class<? extends jdk.jfr.Event>> classes = List.of(JfrEvents.ChunkMapped.class, JfrEvents.ChunkUnmapped.class,
                JfrEvents.CacheRefill.class, JfrEvents.CacheFlush.class, JfrEvents.BigCacheHit.class,
                JfrEvents.BigCacheMiss.class, JfrEvents.PolicyChange.class, JfrEvents.Leak.class);
        List<String> names = new ArrayList<>();
        for (Class<? extends jdk.jfr.Event> c : classes) {
            EventType t = EventType.getEventType(c);
            names.add(t.getName());
            assertEquals(List.of("hakmem"), t.getCategoryNames(), t.getName());
            String threshold = t.getSettingDescriptors().stream().filter(s -> s.getName().equals("threshold"))
                    .map(jdk.jfr.SettingDescriptor::getDefaultValue).findFirst().orElse("none");
            boolean batch = t.getName().equals("hakmem.CacheRefill") || t.getName().equals("hakmem.CacheFlush");
            assertEquals(batch ? "50 us" : "0 ns", threshold, t.getName());
        }
        assertEquals(EVENTS, names);
    }

    /** Every slow path that emits an event, once or more. */
    private static void workload() throws InterruptedException {
        Hakmem.Builder tls = Hakmem.builder().concurrency(Concurrency.TLS).shards(2).tierProviders(List.of(new FixedTier()))
                .learnerProviders(List.of(LEAN));
        try (Allocator a = tls.build()) {
            List<Long> held = new ArrayList<>();
            for (int i = 0; i < BLOCKS; i++) {
                held.add(a.malloc(64)); // empty magazines: refills from the core
            }
            held.forEach(a::free); // full magazines: halves to the depot, to the core once it is full
            held.clear();
            for (int i = 0; i < 100; i++) {
                held.add(a.malloc(48)); // refills from the depot
            }
            Thread other = new Thread(() -> {
                a.free(a.malloc(64)); // its first miss gives it the shard this thread does not use
                held.forEach(a::free); // shard 0's blocks: into its away buffer, home 64 at a time
            });
            other.start();
            other.join();
            a.free(a.malloc(100_000)); // a miss, then the mapping cached
            a.free(a.malloc(90_000)); // a hit
            a.trim(); // every block back to its core, the chunks released (retained), then given back
        }
        ChunkSpace space = ChunkSpace.reserve(4 * ChunkSpace.CHUNK_SIZE, Long.MAX_VALUE);
        space.label(1, "direct", 0);
        space.retainLimit(ChunkSpace.CHUNK_SIZE);
        ChunkSpace.Source source = space.source(1, new AtomicLong(), 1);
        source.release(source.acquire("first"));
        source.release(source.acquire("second"));
        space.trimRetained();
        space.close();

        Allocator leaky = Hakmem.builder().concurrency(Concurrency.LOCKED).tierProviders(List.of()) // big blocks only
                .learnerProviders(List.of()).failOnLeak(true).name("jfr-leak").build();
        leaky.malloc(10);
        leaky.malloc(10);
        assertThrows(IllegalStateException.class, leaky::close);
    }

    private static RecordedEvent one(List<RecordedEvent> events, Predicate<RecordedEvent> which) {
        assertTrue(events != null, "no such event recorded");
        List<RecordedEvent> found = events.stream().filter(which).toList();
        assertEquals(1, found.size(), () -> "expected one match among " + events);
        return found.get(0);
    }

    /** The blocks of the matching events. */
    private static long sum(List<RecordedEvent> events, Predicate<RecordedEvent> which) {
        return events.stream().filter(which).mapToLong(e -> e.getInt("blocks")).sum();
    }

    private static long count(List<RecordedEvent> events, Predicate<RecordedEvent> which) {
        return events == null ? 0 : events.stream().filter(which).count();
    }

    /** The event's own fields, name=value. */
    private static String fields(RecordedEvent e) {
        return e.getFields().stream().filter(f -> !List.of("startTime", "eventThread", "stackTrace").contains(f.getName()))
                .map(f -> f.getName() + "=" + (f.getName().equals("address") ? "0x" + Long.toHexString(e.getLong("address"))
                        : String.valueOf((Object) e.getValue(f.getName()))))
                .collect(Collectors.joining(", "));
    }
}
