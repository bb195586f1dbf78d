package hakmem.learn;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SizeSignatureTest {

    @Test
    void bucketsArePowersOfTwoRoundedUp() {
        assertEquals(0, SizeSignature.bucketOf(1));
        assertEquals(1, SizeSignature.bucketOf(2));
        assertEquals(2, SizeSignature.bucketOf(3));
        assertEquals(2, SizeSignature.bucketOf(4));
        assertEquals(3, SizeSignature.bucketOf(5));
        assertEquals(6, SizeSignature.bucketOf(64));
        assertEquals(7, SizeSignature.bucketOf(65));
        assertEquals(10, SizeSignature.bucketOf(1024));
        assertEquals(46, SizeSignature.bucketOf(1L << 46));
        assertEquals(46, SizeSignature.bucketOf((1L << 46) + 1), "larger sizes share the last bucket");
        assertEquals(46, SizeSignature.bucketOf(Long.MAX_VALUE));
    }

    @Test
    void rejectsSizesBelowOneByte() {
        for (long size : new long[] {0, -1, Long.MIN_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SizeSignature.bucketOf(size));
            assertTrue(e.getMessage().contains(Long.toString(size)), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new SizeSignature().record(size));
        }
        IllegalArgumentException times = assertThrows(IllegalArgumentException.class,
                () -> new SizeSignature().record(64, 0));
        assertTrue(times.getMessage().contains("0"), times.getMessage());
    }

    @Test
    void countsAndFractionsFollowTheRecords() {
        SizeSignature s = new SizeSignature();
        s.record(48);
        s.record(64, 2);
        s.record(4096);
        assertEquals(4, s.total());
        assertEquals(3, s.count(6));
        assertEquals(1, s.count(12));
        assertEquals(0.75, s.fraction(6));
        assertEquals(0.25, s.fraction(12));
        assertEquals(0.0, s.fraction(0));
        assertEquals(0.0, new SizeSignature().fraction(6), "an empty signature has no mass anywhere");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.count(47));
        assertTrue(e.getMessage().contains("47"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> s.fraction(-1));
    }

    @Test
    void distanceIsZeroForTheSameShapeWhateverTheTotals() {
        SizeSignature small = new SizeSignature();
        SizeSignature large = new SizeSignature();
        small.record(32);
        small.record(1000);
        large.record(32, 500);
        large.record(1000, 500);
        assertEquals(0.0, small.distance(large));
        assertEquals(0.0, large.distance(small));
        assertEquals(0.0, small.distance(small));
    }

    @Test
    void distanceIsOneForDisjointShapes() {
        SizeSignature tiny = new SizeSignature();
        SizeSignature big = new SizeSignature();
        tiny.record(16, 10);
        tiny.record(512, 3);
        big.record(1 << 20, 7);
        assertEquals(1.0, tiny.distance(big));
        assertEquals(1.0, big.distance(tiny));
    }

    @Test
    void distanceIsTheShareOfRequestsThatMoved() {
        SizeSignature before = new SizeSignature();
        SizeSignature after = new SizeSignature();
        before.record(64, 100);
        after.record(64, 70);
        after.record(8192, 30);
        // 30 % of requests left the 64 B bucket for the 8 KiB one.
        assertEquals(0.30, before.distance(after), 1e-12);

        SizeSignature three = new SizeSignature();
        three.record(64, 50);
        three.record(128, 25);
        three.record(256, 25);
        SizeSignature other = new SizeSignature();
        other.record(64, 25);
        other.record(128, 25);
        other.record(512, 50);
        // |0.5-0.25| + |0.25-0.25| + |0.25-0| + |0-0.5| = 1.0, halved
        assertEquals(0.5, three.distance(other), 1e-12);
    }

    @Test
    void distanceIsAMetricOnRandomSignatures() {
        SplittableRandom random = new SplittableRandom(12);
        for (int trial = 0; trial < 200; trial++) {
            SizeSignature a = randomSignature(random);
            SizeSignature b = randomSignature(random);
            SizeSignature c = randomSignature(random);
            double ab = a.distance(b);
            assertTrue(ab >= 0.0 && ab <= 1.0, "bounded: " + ab);
            assertEquals(ab, b.distance(a), 1e-15, "symmetric");
            assertTrue(a.distance(c) <= ab + b.distance(c) + 1e-12, "triangle inequality");
        }
    }

    @Test
    void samplesOfOneShapeStayCloseAndAShiftIsFar() {
        SplittableRandom random = new SplittableRandom(7);
        SizeSignature first = new SizeSignature();
        SizeSignature second = new SizeSignature();
        SizeSignature shifted = new SizeSignature();
        for (int i = 0; i < 4096; i++) {
            first.record(random.nextLong(16, 1024));
            second.record(random.nextLong(16, 1024));
            shifted.record(random.nextLong(2048, 65_536));
        }
        assertTrue(first.distance(second) < 0.05, "same workload: " + first.distance(second));
        assertEquals(1.0, first.distance(shifted), 1e-12);
    }

    @Test
    void anEmptySignatureHasNoShapeToCompare() {
        SizeSignature empty = new SizeSignature();
        SizeSignature some = new SizeSignature();
        some.record(8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> empty.distance(some));
        assertTrue(e.getMessage().contains("0 and 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> some.distance(empty));
        assertThrows(IllegalArgumentException.class, () -> some.distance(null));
    }

    @Test
    void mergeCopyAndClear() {
        SizeSignature a = new SizeSignature();
        a.record(100, 3);
        SizeSignature b = new SizeSignature();
        b.record(10_000, 1);
        SizeSignature copy = a.copy();
        a.merge(b);
        assertEquals(4, a.total());
        assertEquals(3, a.count(7));
        assertEquals(1, a.count(14));
        assertEquals(3, copy.total(), "a copy does not see later records");
        a.clear();
        assertEquals(0, a.total());
        assertEquals(0, a.count(7));
        assertThrows(IllegalArgumentException.class, () -> a.merge(null));
    }

    private static SizeSignature randomSignature(SplittableRandom random) {
        SizeSignature s = new SizeSignature();
        int records = random.nextInt(1, 50);
        for (int i = 0; i < records; i++) {
            s.record(1L << random.nextInt(0, 20), random.nextLong(1, 100));
        }
        return s;
    }
}
