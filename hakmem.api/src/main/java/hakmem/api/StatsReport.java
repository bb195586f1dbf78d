package hakmem.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The text of {@link AllocatorStats#report()}: a header, the thread caches, a table of tiers and one
 * table of classes per tier that has classes, in the spirit of jemalloc's {@code malloc_stats_print} and
 * mimalloc's {@code mi_stats_print}. Counts are exact; bytes are in binary units with one decimal, except
 * block sizes, which are exact so that classes stay distinguishable.
 */
final class StatsReport {

    private static final String[] UNITS = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    private StatsReport() {
    }

    static String of(AllocatorStats s) {
        StringBuilder out = new StringBuilder();
        out.append("hakmem ").append(s.concurrency()).append(": reserved ").append(bytes(s.reservedBytes()))
                .append(", retained ").append(bytes(s.retainedBytes()))
                .append(", limit ").append(s.memoryLimit() == Long.MAX_VALUE ? "unlimited" : bytes(s.memoryLimit()))
                .append(", learner ").append(s.learner().lines().findFirst().orElse("")).append('\n');
        caches(out, s);
        out.append('\n');

        Table tiers = new Table(1, "tier", "allocations", "frees", "live", "live bytes", "handed", "waste", "cached",
                "free", "reserved");
        for (TierStats t : s.tiers()) {
            tiers.row(t.tier(), count(t.allocations()), count(t.frees()), count(t.liveBlocks()), bytes(t.liveBytes()),
                    bytes(t.handedBytes()), bytes(t.wasteBytes()), bytes(t.cachedBytes()), bytes(t.freeBytes()),
                    bytes(t.reservedBytes()));
        }
        tiers.appendTo(out, "");
        locks(out, s);

        for (TierStats t : s.tiers()) {
            if (t.classes().isEmpty()) {
                continue;
            }
            Table classes = new Table(0, "block size", "allocations", "frees", "live", "live bytes", "cached", "slabs",
                    "reserved");
            int idle = 0;
            for (ClassStats c : t.classes()) {
                if (c.allocations() == 0 && c.cachedBlocks() == 0 && c.slabs() == 0 && c.reservedBytes() == 0) {
                    idle++; // never used: a row of zeros would only hide the classes that matter
                    continue;
                }
                classes.row(count(c.blockSize()), count(c.allocations()), count(c.frees()), count(c.liveBlocks()),
                        bytes(c.liveBytes()), count(c.cachedBlocks()), count(c.slabs()), bytes(c.reservedBytes()));
            }
            out.append('\n').append(t.tier()).append(" classes");
            if (idle > 0) {
                out.append(" (").append(idle).append(" never used, not shown)");
            }
            out.append(":\n");
            if (classes.rows.isEmpty()) {
                out.append("  none used\n");
            } else {
                classes.appendTo(out, "  ");
            }
        }
        String[] learner = s.learner().split("\\R", 2);
        if (learner.length > 1) {
            out.append("\nlearner ").append(learner[0]).append(":\n").append(learner[1]).append('\n');
        }
        return out.toString();
    }

    private static void caches(StringBuilder out, AllocatorStats s) {
        CacheStats c = s.caches();
        if (s.concurrency() != Concurrency.TLS) {
            out.append("thread caches: none (TLS only)\n");
            return;
        }
        long requests = c.hits() + c.misses();
        out.append("thread caches: threads ").append(c.threads())
                .append(", cached ").append(c.cachedBlocks()).append(" blocks (").append(bytes(c.cachedBytes())).append(')')
                .append(", hit rate ").append(requests == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * c.hitRate()))
                .append(" (hits ").append(c.hits()).append(", misses ").append(c.misses()).append("), uncached ")
                .append(c.uncached()).append('\n')
                .append("  reclaimed ").append(c.reclaimed()).append(", refused ").append(c.refused())
                .append(", duplicates ").append(c.duplicates()).append(", depot trades ").append(c.depotTrades())
                .append(", away flushes ").append(c.awayFlushes()).append(", core lock sections ").append(c.coreTrips())
                .append('\n');
    }

    /** Lock contention, or one line saying there was none. */
    private static void locks(StringBuilder out, AllocatorStats s) {
        if (s.locks().stream().allMatch(l -> l.contended() == 0)) {
            out.append("\nlocks: no contention\n");
            return;
        }
        Table locks = new Table(1, "lock", "contended", "mean wait", "yields", "sleeps");
        for (LockStats l : s.locks()) {
            locks.row(l.lock(), count(l.contended()),
                    l.contended() == 0 ? "-" : String.format(Locale.ROOT, "%.1f us", l.meanWaitNanos() / 1000),
                    count(l.yields()), count(l.sleeps()));
        }
        out.append("\nlocks:\n");
        locks.appendTo(out, "  ");
    }

    private static String count(long n) {
        return Long.toString(n);
    }

    /** {@code 512 B}, {@code 1.5 KiB}, {@code 64.0 MiB}: the largest unit that keeps the number at least 1. */
    static String bytes(long n) {
        if (n > -1024 && n < 1024) {
            return n + " B";
        }
        double v = n / 1024.0;
        int unit = 0;
        // 1023.95 KiB would print as "1024.0 KiB": move up a unit before rounding gets there.
        while (Math.abs(v) >= 1023.95 && unit < UNITS.length - 1) {
            v /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, UNITS[unit]);
    }

    /** Columns as wide as their widest cell, two spaces apart; names left-aligned, numbers right-aligned. */
    private static final class Table {
        private final int leftAligned;
        private final String[] header;
        private final List<String[]> rows = new ArrayList<>();

        /** {@code leftAligned}: how many leading columns hold names rather than numbers. */
        Table(int leftAligned, String... header) {
            this.leftAligned = leftAligned;
            this.header = header;
        }

        void row(String... cells) {
            rows.add(cells);
        }

        void appendTo(StringBuilder out, String indent) {
            int[] width = new int[header.length];
            for (int i = 0; i < header.length; i++) {
                width[i] = header[i].length();
                for (String[] r : rows) {
                    width[i] = Math.max(width[i], r[i].length());
                }
            }
            line(out, indent, header, width);
            for (String[] r : rows) {
                line(out, indent, r, width);
            }
        }

        private void line(StringBuilder out, String indent, String[] cells, int[] width) {
            out.append(indent);
            for (int i = 0; i < cells.length; i++) {
                String pad = " ".repeat(width[i] - cells[i].length());
                out.append(i == 0 ? "" : "  ").append(i < leftAligned ? cells[i] + pad : pad + cells[i]);
            }
            out.append('\n');
        }
    }
}
