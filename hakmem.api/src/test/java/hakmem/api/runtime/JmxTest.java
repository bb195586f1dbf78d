package hakmem.api.runtime;

import hakmem.api.Allocator;
import hakmem.api.AllocatorStats;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;
import hakmem.api.spi.Learner;
import hakmem.api.spi.LearnerContext;
import hakmem.api.spi.LearnerProvider;
import org.junit.jupiter.api.Test;

import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The allocator's MXBean, read and driven through the platform MBean server as a JMX client would. */
class JmxTest {

    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    private static ObjectName name(String name) throws Exception {
        return new ObjectName("hakmem:type=Allocator,name=" + name);
    }

    private static Set<ObjectName> registered() throws Exception {
        return SERVER.queryNames(new ObjectName("hakmem:type=Allocator,*"), null);
    }

    private static Hakmem.Builder tls() {
        return Hakmem.builder().concurrency(Concurrency.TLS).shards(1).tierProviders(List.of(new FixedTier())).learning(false);
    }

    @Test
    void attributesAreTheAllocatorsStatsAndTrimGivesMemoryBack() throws Exception {
        try (Allocator a = tls().name("jmx-attributes").build()) {
            ObjectName on = name("jmx-attributes");
            List<Long> held = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                held.add(a.malloc(i % 2 == 0 ? 48 : 200_000));
            }
            for (int i = 0; i < held.size(); i += 2) {
                a.free(held.get(i));
            }
            a.free(held.get(1)); // a big block: a mapping kept for reuse, which trim unmaps

            AllocatorStats s = a.stats();
            assertEquals(List.of(50L, 1L), List.of(s.tier("big").allocations(), s.tier("big").frees()));
            assertEquals("jmx-attributes", SERVER.getAttribute(on, "Name"));
            assertEquals("TLS", SERVER.getAttribute(on, "Concurrency"));
            assertEquals(s.reservedBytes(), SERVER.getAttribute(on, "ReservedBytes"));
            assertEquals(s.retainedBytes(), SERVER.getAttribute(on, "RetainedBytes"));
            assertEquals(Long.MAX_VALUE, SERVER.getAttribute(on, "MemoryLimit"));
            assertEquals(s.liveBlocks(), SERVER.getAttribute(on, "LiveBlocks"));
            assertEquals(s.liveBytes(), SERVER.getAttribute(on, "LiveBytes"));
            assertEquals(s.allocations(), SERVER.getAttribute(on, "Allocations"));
            assertEquals(s.frees(), SERVER.getAttribute(on, "Frees"));
            assertEquals(s.caches().hitRate(), (double) SERVER.getAttribute(on, "CacheHitRate"));
            assertEquals(s.caches().cachedBytes(), SERVER.getAttribute(on, "CachedBytes"));
            assertEquals("off", SERVER.getAttribute(on, "Learner"));
            assertEquals(s.report(), SERVER.getAttribute(on, "Report"));
            assertTrue(s.caches().cachedBytes() > 0 && s.tier("big").reservedBytes() > s.tier("big").handedBytes(),
                    "something to trim: " + s);

            SERVER.invoke(on, "trim", null, null);
            AllocatorStats trimmed = a.stats();
            assertEquals(0L, SERVER.getAttribute(on, "CachedBytes"), "trim emptied the thread caches");
            assertEquals(trimmed.tier("big").handedBytes(), trimmed.tier("big").reservedBytes(), "and the big-block cache");
            assertTrue(trimmed.reservedBytes() < s.reservedBytes());
            assertEquals(trimmed.reservedBytes(), SERVER.getAttribute(on, "ReservedBytes"));
            held.stream().filter(p -> held.indexOf(p) % 2 == 1 && held.indexOf(p) != 1).forEach(a::free);
            assertEquals(0L, SERVER.getAttribute(on, "LiveBlocks"));
        }
    }

    @Test
    void everyAttributeIsReadOnlyAndTrimIsTheOneOperation() throws Exception {
        try (Allocator a = tls().name("jmx-info").build()) {
            MBeanInfo info = SERVER.getMBeanInfo(name("jmx-info"));
            assertEquals(Set.of("Name", "Concurrency", "ReservedBytes", "RetainedBytes", "MemoryLimit", "LiveBlocks",
                            "LiveBytes", "Allocations", "Frees", "CacheHitRate", "CachedBytes", "Learner", "Report"),
                    Arrays.stream(info.getAttributes()).map(MBeanAttributeInfo::getName).collect(Collectors.toSet()));
            assertTrue(Arrays.stream(info.getAttributes()).allMatch(i -> i.isReadable() && !i.isWritable()));
            assertEquals(List.of("trim"), Arrays.stream(info.getOperations()).map(o -> o.getName()).toList());
            assertEquals("true", info.getDescriptor().getFieldValue("mxbean"));
        }
    }

    @Test
    void defaultNamesAreDistinctAndCloseUnregisters() throws Exception {
        Set<ObjectName> before = registered();
        Allocator a = tls().jmx(true).build();
        Allocator b = Hakmem.builder().concurrency(Concurrency.LOCKED).tiers().learning(false).jmx(true).build();
        Set<ObjectName> added = registered();
        added.removeAll(before);
        assertEquals(2, added.size(), added.toString());
        List<String> names = added.stream().map(o -> o.getKeyProperty("name")).sorted().toList();
        assertNotEquals(names.get(0), names.get(1));
        assertTrue(names.stream().allMatch(n -> n.matches("hakmem-\\d+")), names.toString());
        Set<String> variants = Set.of((String) SERVER.getAttribute(name(names.get(0)), "Concurrency"),
                (String) SERVER.getAttribute(name(names.get(1)), "Concurrency"));
        assertEquals(Set.of("TLS", "LOCKED"), variants);

        a.close();
        b.close();
        a.close(); // idempotent: nothing left to unregister
        assertEquals(before, registered());
    }

    @Test
    void aDefaultNameTakenExplicitlyIsSkipped() throws Exception {
        Set<ObjectName> before = registered();
        try (Allocator probe = tls().jmx(true).build()) {
            String last = registered().stream().filter(o -> !before.contains(o)).findFirst().orElseThrow().getKeyProperty("name");
            int n = Integer.parseInt(last.substring("hakmem-".length()));
            try (Allocator squatter = tls().name("hakmem-" + (n + 1)).build();
                 Allocator next = tls().jmx(true).build()) {
                assertEquals(before.size() + 3, registered().size());
                assertTrue(SERVER.isRegistered(name("hakmem-" + (n + 2))), registered().toString());
            }
        }
        assertEquals(before, registered());
    }

    @Test
    void aDuplicateNameFailsNamingItAndLeavesNothingBehind() throws Exception {
        AtomicInteger learnersClosed = new AtomicInteger();
        LearnerProvider counting = new LearnerProvider() {
            @Override
            public String id() {
                return "counting";
            }

            @Override
            public Learner start(LearnerContext context) {
                return new Learner() {
                    @Override
                    public String state() {
                        return "idle";
                    }

                    @Override
                    public void close() {
                        learnersClosed.incrementAndGet();
                    }
                };
            }
        };
        try (Allocator first = tls().name("cache-A").build()) {
            Set<ObjectName> before = registered();
            var e = assertThrows(IllegalArgumentException.class,
                    () -> tls().learnerProviders(List.of(counting)).learning(true).name("cache-A").build());
            assertTrue(e.getMessage().contains("'cache-A'") && e.getMessage().contains("hakmem:type=Allocator,name=cache-A"),
                    e.getMessage());
            assertEquals(1, learnersClosed.get(), "the allocator built before the name failed was closed");
            assertEquals(before, registered());
            first.free(first.malloc(100_000));
            assertEquals(1L, SERVER.getAttribute(name("cache-A"), "Allocations"), "the first allocator keeps its bean");
        }
        assertFalse(SERVER.isRegistered(name("cache-A")));
        try (Allocator again = tls().name("cache-A").build()) {
            assertTrue(SERVER.isRegistered(name("cache-A")), "a closed allocator's name is free again");
        }
    }

    @Test
    void namesJmxWouldQuoteAreRejectedAtOnce() {
        for (String bad : List.of("", " ", "a,b", "a=b", "a:b", "\"a\"", "a*", "a?", "a\nb")) {
            var e = assertThrows(IllegalArgumentException.class, () -> Hakmem.builder().name(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Hakmem.builder().name(null));
    }

    @Test
    void offUnlessAskedForAndThePropertyTurnsItOn() throws Exception {
        Set<ObjectName> before = registered();
        try (Allocator quiet = tls().build(); Allocator named = tls().name("jmx-off").jmx(false).build()) {
            assertEquals(before, registered());
        }
        String old = System.getProperty("hakmem.jmx");
        System.setProperty("hakmem.jmx", "true");
        try (Allocator viaProperty = tls().build()) {
            assertEquals(before.size() + 1, registered().size());
        } finally {
            if (old == null) {
                System.clearProperty("hakmem.jmx");
            } else {
                System.setProperty("hakmem.jmx", old);
            }
        }
        assertEquals(before, registered());
    }
}
