package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.AllocatorStats;
import hakmem.api.Hakmem;
import hakmem.api.TierStats;
import hakmem.api.spi.TierProvider;
import org.junit.jupiter.api.Test;

import java.lang.module.Configuration;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.SplittableRandom;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Each subset of the three tier modules, loaded in a {@link ModuleLayer} of its own: every size from
 * 1 byte to 4 MiB is served by the first tier of the subset whose range covers it, else by the big-block
 * path, and stats() show it. Sizes up to 64 KiB are tried one by one; beyond, every boundary +-1 and a
 * stride of 61 bytes (so every residue of the classes is hit).
 */
class TierSubsetTest {

    static final long MAX = 4L << 20;
    static final Map<String, Long> MAX_SIZE = Map.of("tiny", 1024L, "l2", 32768L, "l25", 1L << 20);

    /** The tier a size must land in with {@code tiers} present, per the routing rule. */
    static String expected(List<String> tiers, long size) {
        return tiers.stream().filter(t -> size <= MAX_SIZE.get(t))
                .min((x, y) -> Long.compare(MAX_SIZE.get(x), MAX_SIZE.get(y))).orElse("big");
    }

    static List<TierProvider> layerWith(List<String> tiers) {
        List<Path> dirs = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (String t : tiers) {
            dirs.add(Modules.classes(t));
            names.add("hakmem." + t);
        }
        ModuleLayer boot = ModuleLayer.boot();
        Configuration cf = boot.configuration().resolveAndBind(ModuleFinder.of(dirs.toArray(Path[]::new)), ModuleFinder.of(), names);
        ModuleLayer layer = boot.defineModulesWithOneLoader(cf, ClassLoader.getSystemClassLoader());
        List<TierProvider> found = new ArrayList<>();
        // The test reads the service itself, which a named module may only do once it declares the use.
        TierSubsetTest.class.getModule().addUses(TierProvider.class);
        for (TierProvider p : ServiceLoader.load(layer, TierProvider.class)) {
            if (p.getClass().getModule().getLayer() == layer) {
                found.add(p);
            }
        }
        assertEquals(tiers.size(), found.size(), "providers in the layer of " + tiers);
        return found;
    }

    static TreeSet<Long> sizes() {
        TreeSet<Long> sizes = new TreeSet<>();
        for (long s = 1; s <= 65536; s++) {
            sizes.add(s);
        }
        for (long s = 65536; s <= MAX; s += 61) {
            sizes.add(s);
        }
        for (long b : new long[] {1024, 32768, 1 << 20, MAX}) {
            sizes.add(b - 1);
            sizes.add(b);
            if (b + 1 <= MAX) {
                sizes.add(b + 1);
            }
        }
        return sizes;
    }

    @Test
    void everySubsetRoutesEachSizeToItsDocumentedTier() {
        TreeSet<Long> sizes = sizes();
        for (int mask = 0; mask < 8; mask++) {
            List<String> tiers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                if ((mask & (1 << i)) != 0) {
                    tiers.add(Modules.TIERS.get(i));
                }
            }
            try (Allocator a = Hakmem.builder().tierProviders(layerWith(tiers)).learning(false).build()) {
                Map<String, Long> want = new HashMap<>();
                for (long size : sizes) {
                    a.free(a.malloc(size));
                    want.merge(expected(tiers, size), 1L, Long::sum);
                }
                AllocatorStats st = a.stats();
                for (TierStats t : st.tiers()) {
                    assertEquals(want.getOrDefault(t.tier(), 0L), t.allocations(), "allocations in " + t.tier() + " with " + tiers);
                }
                // And one by one on a sample, so a size landing in the wrong tier cannot hide in the counts.
                SplittableRandom rnd = new SplittableRandom(12345 + mask);
                for (int i = 0; i < 300; i++) {
                    long size = 1 + rnd.nextLong(MAX);
                    String tier = expected(tiers, size);
                    long before = a.stats().tier(tier).allocations();
                    long p = a.malloc(size);
                    assertEquals(before + 1, a.stats().tier(tier).allocations(), size + " B with " + tiers);
                    a.free(p);
                }
                a.trim();
                assertEquals(0, a.stats().reservedBytes());
            }
        }
    }
}
