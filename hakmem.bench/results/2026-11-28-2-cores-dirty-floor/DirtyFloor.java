import hakmem.api.Allocator;
import hakmem.api.AllocatorStats;
import hakmem.api.Concurrency;
import hakmem.api.Hakmem;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;

/**
 * Memory a fragmented heap keeps: T threads each allocate 2048 blocks of 64 KiB (l25, 128 MiB each),
 * touch them, and free all but every 32nd, so each 2 MiB chunk keeps one live block and 31 free pages.
 * Prints resident memory before and after, with the allocator's own reserved and live bytes.
 * Usage: DirtyFloor THREADS LOCKED|SHARDED|TLS (run with -Dhakmem.shards=N to pick the shards).
 */
public class DirtyFloor {

    static final long BLOCK = 64 << 10;

    static long rssMiB() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        }
        return -1;
    }

    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args[0]);
        Allocator heap = Hakmem.builder().concurrency(Concurrency.valueOf(args[1])).build();
        long before = rssMiB();
        CyclicBarrier fragmented = new CyclicBarrier(threads + 1);
        CountDownLatch measured = new CountDownLatch(1);
        Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            workers[t] = new Thread(() -> {
                long[] blocks = new long[2048];
                for (int i = 0; i < blocks.length; i++) {
                    blocks[i] = heap.malloc(BLOCK);
                    MemorySegment.ofAddress(blocks[i]).reinterpret(BLOCK).fill((byte) 1);
                }
                for (int i = 0; i < blocks.length; i++) {
                    if (i % 32 != 0) {
                        heap.free(blocks[i]);
                    }
                }
                try {
                    fragmented.await(); // alive, with its blocks, while the main thread measures
                    measured.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            workers[t].start();
        }
        fragmented.await();
        AllocatorStats s = heap.stats();
        System.out.printf("%s %d threads: RSS %d -> %d MiB; reserved %d MiB, live %d MiB%n", args[1], threads, before,
                rssMiB(), s.reservedBytes() >> 20, s.liveBytes() >> 20);
        measured.countDown();
        for (Thread w : workers) {
            w.join();
        }
        heap.close();
    }
}
