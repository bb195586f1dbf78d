import hakmem.api.*;
import java.lang.foreign.*;
import java.nio.file.*;
/**
 * Memory a fragmented heap keeps: T threads each allocate 2048 blocks of 64 KiB (l25, 128 MiB each),
 * touch them, and free all but every 32nd, so each 2 MiB chunk keeps one live block and 31 free pages.
 * Prints resident memory before and after, with the allocator's own reserved and live bytes.
 * Usage: DirtyFloor THREADS LOCKED|SHARDED|TLS (run with -Dhakmem.shards=N to pick the shards).
 */
public class DirtyFloor {
  static long rss() throws Exception { for (String l : Files.readAllLines(Path.of("/proc/self/status"))) if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024; return -1; }
  public static void main(String[] a) throws Exception {
    int threads = Integer.parseInt(a[0]);
    Allocator h = Hakmem.builder().concurrency(Concurrency.valueOf(a[1])).build();
    long before = rss();
    Thread[] ts = new Thread[threads];
    long[][] kept = new long[threads][];
    java.util.concurrent.CyclicBarrier done = new java.util.concurrent.CyclicBarrier(threads + 1);
    java.util.concurrent.CountDownLatch exit = new java.util.concurrent.CountDownLatch(1);
    for (int t = 0; t < threads; t++) { final int id = t; ts[t] = new Thread(() -> {
      try {
      long[] p = new long[2048]; for (int i = 0; i < p.length; i++) { p[i] = h.malloc(64 << 10); MemorySegment.ofAddress(p[i]).reinterpret(64 << 10).fill((byte) 1); }
      long[] k = new long[64]; int n = 0;
      for (int i = 0; i < p.length; i++) { if (i % 32 == 0) k[n++] = p[i]; else h.free(p[i]); }
      kept[id] = k; done.await(); exit.await();
      } catch (Exception e) { throw new RuntimeException(e); } }); ts[t].start(); }
    done.await();
    AllocatorStats s = h.stats();
    System.out.printf("%s %d threads: RSS %d -> %d MiB; reserved %d MiB, live %d MiB%n", a[1], threads, before, rss(), s.reservedBytes() >> 20, s.liveBytes() >> 20);
    exit.countDown(); for (Thread t : ts) t.join();
    h.close();
  }
}
