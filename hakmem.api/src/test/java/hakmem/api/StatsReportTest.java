package hakmem.api;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The exact text of {@link AllocatorStats#report()} for hand-made snapshots, and its byte units. */
class StatsReportTest {

    @Test
    void aSmallTlsReport() {
        TierStats tiny = new TierStats("tiny", 1500, 1200, 300, 9000, 9600, 2L << 20, 384, (2L << 20) - 9600 - 384, List.of(
                new ClassStats(16, 0, 0, 0, 0, 0, 0, 0),
                new ClassStats(32, 1500, 1200, 300, 9000, 1, 65536, 12)));
        TierStats big = new TierStats("big", 2, 1, 1, 3_000_000, 3_006_464, 3_006_464, 0, 0, List.of());
        CacheStats caches = new CacheStats(2, 12, 384, 970, 30, 7, 1, 0, 0, 4, 5, 6);
        AllocatorStats s = new AllocatorStats(Concurrency.TLS, List.of(tiny, big), 5_103_616, 0, 1L << 30,
                "cap-tuner exploring", caches, List.of(new LockStats("tiny", 40, 100_000, 3, 1),
                        new LockStats("depots", 0, 0, 0, 0), new LockStats("big", 0, 0, 0, 0)));
        assertEquals("""
                hakmem TLS: reserved 4.9 MiB, retained 0 B, limit 1.0 GiB, learner cap-tuner exploring
                thread caches: threads 2, cached 12 blocks (384 B), hit rate 97.0% (hits 970, misses 30), uncached 7
                  reclaimed 1, refused 0, duplicates 0, depot trades 4, away flushes 5, core lock sections 6

                tier  allocations  frees  live  live bytes   handed    waste  cached     free  reserved
                tiny         1500   1200   300     8.8 KiB  9.4 KiB    600 B   384 B  2.0 MiB   2.0 MiB
                big             2      1     1     2.9 MiB  2.9 MiB  6.3 KiB     0 B      0 B   2.9 MiB

                locks:
                  lock    contended  mean wait  yields  sleeps
                  tiny           40     2.5 us       3       1
                  depots          0          -       0       0
                  big             0          -       0       0

                tiny classes (1 never used, not shown):
                  block size  allocations  frees  live  live bytes  cached  slabs  reserved
                          32         1500   1200   300     8.8 KiB      12      1  64.0 KiB
                """, s.report());
        assertEquals(s.report(), s.toString());
    }

    @Test
    void otherVariantsHaveNoThreadCachesAndAnUnusedTierSaysSo() {
        TierStats tiny = new TierStats("tiny", 0, 0, 0, 0, 0, 0, List.of(new ClassStats(16, 0, 0, 0, 0, 0, 0)));
        AllocatorStats s = new AllocatorStats(Concurrency.LOCKED, List.of(tiny), 0, 0, Long.MAX_VALUE, "off", CacheStats.NONE,
                List.of(new LockStats("tiny", 0, 0, 0, 0)));
        assertEquals("""
                hakmem LOCKED: reserved 0 B, retained 0 B, limit unlimited, learner off
                thread caches: none (TLS only)

                tier  allocations  frees  live  live bytes  handed  waste  cached  free  reserved
                tiny            0      0     0         0 B     0 B    0 B     0 B   0 B       0 B

                locks: no contention

                tiny classes (1 never used, not shown):
                  none used
                """, s.report());
    }

    @Test
    void aTierThatDoesNotBreakDownItsMemoryCountsAllButItsLiveBlocksAsFree() {
        TierStats t = new TierStats("third-party", 3, 1, 2, 100, 128, 4096, List.of());
        assertEquals(0, t.cachedBytes());
        assertEquals(4096 - 128, t.freeBytes());
        TierStats sum = TierStats.sum("t", List.of(t, new TierStats("t", 1, 0, 1, 10, 16, 4096, 64, 4016, List.of())));
        assertEquals(List.of(8192L, 144L, 64L, 7984L), List.of(sum.reservedBytes(), sum.handedBytes(), sum.cachedBytes(), sum.freeBytes()));
    }

    @Test
    void bytesTakeTheLargestUnitThatKeepsTheNumberAtLeastOne() {
        assertEquals("0 B", StatsReport.bytes(0));
        assertEquals("1023 B", StatsReport.bytes(1023));
        assertEquals("1.0 KiB", StatsReport.bytes(1024));
        assertEquals("1.5 KiB", StatsReport.bytes(1536));
        assertEquals("1023.9 KiB", StatsReport.bytes(1_048_473));
        assertEquals("1.0 MiB", StatsReport.bytes(1_048_575), "not 1024.0 KiB");
        assertEquals("64.0 GiB", StatsReport.bytes(64L << 30));
        assertEquals("8.0 EiB", StatsReport.bytes(Long.MAX_VALUE));
        assertEquals("-2.0 KiB", StatsReport.bytes(-2048));
    }
}
