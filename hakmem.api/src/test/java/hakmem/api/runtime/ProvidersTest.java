package hakmem.api.runtime;

import hakmem.api.spi.ChunkSource;
import hakmem.api.spi.TierCore;
import hakmem.api.spi.TierProvider;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProvidersTest {

    /** A provider that is never asked to allocate: selection only looks at id and maxSize. */
    record Named(String id, long maxSize) implements TierProvider {
        @Override
        public TierCore create(ChunkSource chunks) {
            throw new AssertionError("not used");
        }
    }

    private static final class Other implements TierProvider {
        @Override
        public String id() {
            return "tiny";
        }

        @Override
        public long maxSize() {
            return 512;
        }

        @Override
        public TierCore create(ChunkSource chunks) {
            throw new AssertionError("not used");
        }
    }

    @Test
    void ordersBySizeThenId() {
        List<TierProvider> got = Providers.select(List.of(new Named("l25", 1 << 20), new Named("tiny", 1024),
                new Named("l2", 32768)), null);
        assertEquals(List.of("tiny", "l2", "l25"), got.stream().map(TierProvider::id).toList());
    }

    @Test
    void duplicateIdsAreRejectedNamingBothClasses() {
        var e = assertThrows(IllegalStateException.class,
                () -> Providers.select(List.of(new Named("tiny", 1024), new Other()), null));
        assertTrue(e.getMessage().contains("'tiny'"), e.getMessage());
        assertTrue(e.getMessage().contains(Named.class.getName()), e.getMessage());
        assertTrue(e.getMessage().contains(Other.class.getName()), e.getMessage());
    }

    @Test
    void unknownIdIsRejectedListingTheAvailableOnes() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Providers.select(List.of(new Named("tiny", 1024), new Named("l2", 32768)), List.of("l3")));
        assertTrue(e.getMessage().contains("'l3'") && e.getMessage().contains("tiny, l2"), e.getMessage());
        var none = assertThrows(IllegalArgumentException.class, () -> Providers.select(List.of(), List.of("tiny")));
        assertTrue(none.getMessage().contains("none"), none.getMessage());
    }

    @Test
    void explicitSubsetAndEmptySelection() {
        var all = List.<TierProvider>of(new Named("tiny", 1024), new Named("l2", 32768), new Named("l25", 1 << 20));
        assertEquals(List.of("tiny", "l25"), Providers.select(all, List.of("l25", "tiny")).stream().map(TierProvider::id).toList());
        assertEquals(List.of(), Providers.select(all, List.of()));
    }

    @Test
    void systemPropertyPicksTiersWhenTheBuilderDoesNot() {
        var all = List.<TierProvider>of(new Named("tiny", 1024), new Named("l2", 32768));
        String before = System.getProperty(Providers.TIERS_PROPERTY);
        try {
            System.setProperty(Providers.TIERS_PROPERTY, " L2 ");
            assertEquals(List.of("l2"), Providers.select(all, null).stream().map(TierProvider::id).toList());
            System.setProperty(Providers.TIERS_PROPERTY, "none");
            assertEquals(List.of(), Providers.select(all, null));
            assertEquals(List.of("tiny"), Providers.select(all, List.of("tiny")).stream().map(TierProvider::id).toList(),
                    "the builder wins over the property");
        } finally {
            if (before == null) {
                System.clearProperty(Providers.TIERS_PROPERTY);
            } else {
                System.setProperty(Providers.TIERS_PROPERTY, before);
            }
        }
    }

    @Test
    void invalidProvidersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Providers.select(List.of(new Named("Bad Id", 10)), null));
        assertThrows(IllegalArgumentException.class, () -> Providers.select(List.of(new Named("big", 10)), null));
        assertThrows(IllegalArgumentException.class, () -> Providers.select(List.of(new Named("t", 0)), null));
        assertThrows(IllegalStateException.class,
                () -> Providers.select(List.of(new Named("a", 64), new Named("b", 64)), null));
    }

    @Test
    void reportListsEveryRangeAndTheBigPath() {
        String r = Providers.report(new Providers.Found(List.of(new Named("tiny", 1024)), List.of(), List.of("X broken")));
        assertTrue(r.contains("tiny") && r.contains("1025..") && r.contains("big") && r.contains("skipped: X broken"), r);
    }
}
