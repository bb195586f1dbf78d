package hakmem.bench;

import hakmem.api.Allocator;
import hakmem.api.AllocatorStats;
import hakmem.api.ClassStats;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;
import hakmem.api.LockStats;
import hakmem.api.TierStats;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link AllocatorStats#report()} of real allocators: every tier, the used classes' numbers, aligned tables. */
class StatsReportTest {

    /**
     * One lock entry per kind, in tier order, then the depots (TLS only) and the big-block path; a
     * single thread never finds a lock taken, so every counter stays zero and the report says so.
     */
    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void locksAreListedByKindAndASingleThreadContendsForNone(Concurrency variant) {
        try (Allocator a = Hakmem.builder().concurrency(variant).learning(false).build()) {
            for (long size : new long[] {24, 3000, 50_000, 2 << 20}) {
                for (int i = 0; i < 1000; i++) {
                    a.free(a.malloc(size));
                }
            }
            AllocatorStats s = a.stats();
            List<String> expected = new ArrayList<>(s.tiers().stream().map(TierStats::tier).filter(t -> !t.equals("big"))
                    .toList());
            if (variant == Concurrency.TLS) {
                expected.add("depots");
            }
            expected.add("big");
            assertEquals(expected, s.locks().stream().map(LockStats::lock).toList());
            for (LockStats l : s.locks()) {
                assertEquals(new LockStats(l.lock(), 0, 0, 0, 0), l);
            }
            assertTrue(s.report().contains("\nlocks: no contention\n"), s.report());
        }
    }

    @ParameterizedTest
    @EnumSource(Concurrency.class)
    void theReportShowsEveryTierAndTheUsedClassesWithTheirNumbers(Concurrency variant) {
        try (Allocator a = Hakmem.builder().concurrency(variant).shards(2).learning(false).build()) {
            List<Long> held = new ArrayList<>();
            long[] sizes = {24, 100, 3000, 50_000, 2 << 20};
            for (long size : sizes) {
                for (int i = 0; i < 7; i++) {
                    held.add(a.malloc(size));
                }
            }
            for (int i = 0; i < held.size(); i += 3) {
                a.free(held.get(i));
            }
            AllocatorStats s = a.stats();
            String report = s.report();
            assertEquals(report, s.toString(), "toString is the report");
            List<String> lines = report.lines().toList();
            assertTrue(lines.get(0).startsWith("hakmem " + variant + ": reserved "), report);
            assertTrue(lines.get(1).startsWith(variant == Concurrency.TLS ? "thread caches: threads " : "thread caches: none"), report);

            List<String> tierTable = table(lines, "tier ");
            assertEquals(1 + s.tiers().size(), tierTable.size(), report);
            for (TierStats t : s.tiers()) {
                String[] cells = row(tierTable, t.tier());
                assertEquals(t.tier(), cells[0]);
                assertEquals(List.of(t.allocations(), t.frees(), t.liveBlocks()),
                        List.of(Long.parseLong(cells[1]), Long.parseLong(cells[2]), Long.parseLong(cells[3])), report);
            }
            assertTrue(s.tiers().stream().map(TierStats::tier).toList().containsAll(List.of("tiny", "l2", "l25", "big")));
            assertEquals(sizes.length * 7L, s.allocations());

            for (TierStats t : s.tiers()) {
                if (t.classes().isEmpty()) {
                    assertTrue(!report.contains("\n" + t.tier() + " classes"), report);
                    continue;
                }
                assertTrue(report.contains("\n" + t.tier() + " classes"), report);
                List<String> classTable = table(lines.subList(lines.indexOf(lines.stream()
                        .filter(l -> l.startsWith(t.tier() + " classes")).findFirst().orElseThrow()), lines.size()), "  block size");
                long used = 0;
                for (ClassStats c : t.classes()) {
                    if (c.allocations() == 0) {
                        continue;
                    }
                    used++;
                    String[] cells = row(classTable, Long.toString(c.blockSize()));
                    assertEquals(List.of(c.allocations(), c.frees(), c.liveBlocks(), c.cachedBlocks(), c.slabs()),
                            List.of(Long.parseLong(cells[1]), Long.parseLong(cells[2]), Long.parseLong(cells[3]),
                                    Long.parseLong(cells[cells.length - 3]), Long.parseLong(cells[cells.length - 2])), report);
                }
                assertTrue(used > 0, t.tier() + " served some of the sizes: " + report);
            }
            // Every table: each row as long as its header, and each column ending where the header's does.
            for (String title : List.of("tier ", "  block size")) {
                for (int from = 0; from < lines.size(); from++) {
                    if (lines.get(from).startsWith(title)) {
                        assertAligned(table(lines.subList(from, lines.size()), title), report);
                    }
                }
            }
            held.stream().filter(p -> held.indexOf(p) % 3 != 0).forEach(a::free);
        }
    }

    /** The lines from the one starting with {@code header} up to the next blank or unindented-title line. */
    private static List<String> table(List<String> lines, String header) {
        int from = 0;
        while (!lines.get(from).startsWith(header)) {
            from++;
        }
        int to = from + 1;
        while (to < lines.size() && !lines.get(to).isBlank() && !lines.get(to).endsWith(":")) {
            to++;
        }
        return lines.subList(from, to);
    }

    private static String[] row(List<String> table, String first) {
        return table.stream().skip(1).map(l -> l.strip().split(" {2,}"))
                .filter(c -> c[0].equals(first)).findFirst()
                .orElseThrow(() -> new AssertionError("no row " + first + " in\n" + String.join("\n", table)));
    }

    private static final Pattern CELL_END = Pattern.compile("\\S(?= {2}|$)");

    private static void assertAligned(List<String> table, String report) {
        int width = table.get(0).length();
        List<Integer> ends = CELL_END.matcher(table.get(0)).results().map(m -> m.end()).toList();
        for (String l : table) {
            assertEquals(width, l.length(), "row as long as the header:\n" + report);
            for (int end : ends.subList(1, ends.size())) {
                assertTrue(l.charAt(end - 1) != ' ' && (end == l.length() || l.charAt(end) == ' '),
                        "a number column ends at " + end + " in '" + l + "':\n" + report);
            }
        }
        assertTrue(table.size() > 1, Arrays.toString(table.toArray()));
    }
}
