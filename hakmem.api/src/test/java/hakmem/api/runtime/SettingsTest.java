package hakmem.api.runtime;

import hakmem.api.Allocator;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code hakmem.*} system properties: each value a key accepts takes effect, and an unknown key or a
 * value a key does not accept fails the build naming them and what is accepted. Each test sets its
 * properties through {@link #set} and {@link #restore} puts back what was there, so no test sees another's.
 */
class SettingsTest {

    private final Map<String, String> saved = new HashMap<>();

    private void set(String key, String value) {
        if (!saved.containsKey(key)) { // not putIfAbsent: it replaces a null, the mark of a key that was unset
            saved.put(key, System.getProperty(key));
        }
        System.setProperty(key, value);
    }

    @AfterEach
    void restore() {
        saved.forEach((k, v) -> {
            if (v == null) {
                System.clearProperty(k);
            } else {
                System.setProperty(k, v);
            }
        });
        saved.clear();
    }

    /** An allocator with the fixed test tier (64-byte blocks) and the big-block path; no learner. */
    private static Hakmem.Builder builder() {
        return Hakmem.builder().tierProviders(List.of(new FixedTier())).learnerProviders(List.of());
    }

    private IllegalArgumentException rejected(String key, String value) {
        set(key, value);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> builder().build().close(),
                key + "=" + value);
        assertTrue(e.getMessage().contains(key) && e.getMessage().contains(value), e.getMessage());
        restore();
        return e;
    }

    @Test
    void badValuesFailNamingTheKeyTheValueAndWhatIsAccepted() {
        var concurrency = rejected("hakmem.concurrency", "FAST");
        assertTrue(concurrency.getMessage().contains("[LOCKED, SHARDED, TLS]"), concurrency.getMessage());
        for (String v : List.of("-1", "0", "1025", "four", "", " ", "2.5")) {
            var shards = rejected("hakmem.shards", v);
            assertTrue(shards.getMessage().contains("1 to 1024"), shards.getMessage());
        }
        for (String key : List.of("hakmem.zeroOnFree", "hakmem.strictFrees", "hakmem.failOnLeak", "hakmem.debug",
                "hakmem.jmx", "hakmem.learning")) {
            for (String v : List.of("yes", "no", "1", "0", "on", "", "truee")) {
                var flag = rejected(key, v);
                assertTrue(flag.getMessage().contains("true or false"), flag.getMessage());
            }
        }
        rejected("hakmem.learning.mode", " ");
        var tiers = rejected("hakmem.tiers", "tiny;l2");
        assertTrue(tiers.getMessage().contains("tier ids separated by commas"), tiers.getMessage());
    }

    @Test
    void unknownKeysFailListingTheKnownOnes() {
        for (String key : List.of("hakmem.zeroonfree", "hakmem.shard", "hakmem.learning.modes", "hakmem.")) {
            var e = rejected(key, "true");
            assertTrue(e.getMessage().contains("unknown system property " + key + "=true"), e.getMessage());
            assertTrue(e.getMessage().contains(String.join(", ", Settings.keys())), e.getMessage());
        }
        assertEquals(List.of("hakmem.concurrency", "hakmem.debug", "hakmem.failOnLeak", "hakmem.jmx", "hakmem.learning",
                "hakmem.learning.mode", "hakmem.shards", "hakmem.strictFrees", "hakmem.tiers", "hakmem.zeroOnFree"),
                Settings.keys());
    }

    @Test
    void aBuilderSettingDoesNotHideABadProperty() {
        set("hakmem.concurrency", "FAST");
        var e = assertThrows(IllegalArgumentException.class,
                () -> builder().concurrency(Concurrency.LOCKED).build().close());
        assertTrue(e.getMessage().contains("FAST"), e.getMessage());
        restore();
        set("hakmem.zeroOnFree", "yes");
        assertThrows(IllegalArgumentException.class, () -> builder().zeroOnFree(false).build().close());
    }

    @Test
    void keysOfTheBenchmarksAndTestsAreLeftAlone() {
        set("hakmem.bench.lib.mimalloc", "/nowhere/libmimalloc.so.2");
        set("hakmem.test.stress.blocks", "many");
        try (Allocator a = builder().build()) {
            a.free(a.malloc(10));
        }
    }

    @Test
    void goodValuesTakeEffectInAnyCase() {
        set("hakmem.concurrency", " sharded ");
        set("hakmem.shards", "3");
        try (Allocator a = builder().build()) {
            assertTrue(a.toString().startsWith("hakmem SHARDED x3"), a.toString());
        }
        set("hakmem.concurrency", "Locked");
        try (Allocator a = builder().build()) {
            assertTrue(a.toString().startsWith("hakmem LOCKED ["), a.toString());
        }
        set("hakmem.tiers", "NONE");
        try (Allocator a = builder().build()) {
            assertEquals("hakmem LOCKED [big]", a.toString());
        }
        restore();

        set("hakmem.debug", "TRUE");
        try (Allocator a = builder().build()) {
            long p = a.malloc(10);
            assertEquals(10, a.usableSize(p), "debug mode: usableSize is what was asked");
            a.free(p);
        }
        set("hakmem.debug", "False");
        try (Allocator a = builder().build()) {
            long p = a.malloc(10);
            assertEquals(64, a.usableSize(p), "the fixed tier's block");
            a.free(p);
        }
        restore();

        set("hakmem.failOnLeak", "true");
        set("hakmem.concurrency", "LOCKED"); // the fixed tier lists no classes, which TLS's counts of live blocks need
        Allocator leaky = builder().build();
        leaky.malloc(10);
        var leak = assertThrows(IllegalStateException.class, leaky::close);
        assertTrue(leak.getMessage().contains("1 blocks"), leak.getMessage());
        restore();

        set("hakmem.zeroOnFree", "tRuE");
        try (Allocator a = builder().build()) {
            long p = a.malloc(64);
            MemorySegment block = MemorySegment.ofAddress(p).reinterpret(64);
            block.fill((byte) 7);
            a.free(p); // the range stays mapped while the allocator is open: reading it is safe here
            for (int i = 0; i < 64; i++) {
                assertEquals(0, block.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i), "byte " + i);
            }
        }
    }

    @Test
    void accessorsReadUnsetAsNull() {
        for (String key : Settings.keys()) {
            if (!saved.containsKey(key)) {
                saved.put(key, System.getProperty(key));
            }
            System.clearProperty(key);
        }
        assertNull(Settings.concurrency());
        assertEquals(0, Settings.shards());
        assertNull(Settings.flag(Settings.ZERO_ON_FREE));
        assertNull(Settings.learningMode());
        assertNull(Settings.tiers());
        Settings.check();
        set("hakmem.tiers", "");
        assertEquals(List.of(), Settings.tiers(), "empty: no tier, as documented");
        set("hakmem.learning.mode", " FAST ");
        assertEquals("FAST", Settings.learningMode());
    }
}
