package example.app;

import hakmem.api.Allocator;
import hakmem.api.AllocatorStats;
import hakmem.api.Hakmem;
import hakmem.api.spi.TierProvider;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Lists the tiers the module path offers, builds an allocator with the ones asked for (the first
 * argument, comma-separated; by default {@code fixed64,tiny,l2,l25}: the example third-party tier takes
 * every request up to 64 bytes, hakmem's tiers the rest), runs a small message-processing workload and
 * prints the allocator's stats while its last messages are still live.
 *
 * <p>Exits with status 1 when a tier asked for served no request, so a build that runs it (CI does)
 * fails when the module path did not deliver the tier.
 *
 * <pre>
 * java --enable-native-access=hakmem.api --module-path hakmem.example.app/target/modules -m example.app/example.app.Main [tier,...]
 * </pre>
 */
public final class Main {

    /** Messages kept live at once: older ones are freed as new ones arrive. */
    private static final int WINDOW = 256;
    private static final int MESSAGES = 20_000;

    private Main() {
    }

    /** One message: a 64-byte header and a 48-byte key (the hot sizes), a body, and now and then a buffer. */
    private record Message(MemorySegment header, MemorySegment key, MemorySegment body, MemorySegment buffer) {
    }

    public static void main(String[] args) {
        String[] tiers = (args.length > 0 ? args[0] : "fixed64,tiny,l2,l25").split(",");
        System.out.println("tiers on the module path:");
        // ServiceLoader's order across modules is not defined: list by size, as the allocator routes.
        ServiceLoader.load(TierProvider.class).stream().map(ServiceLoader.Provider::get)
                .sorted(Comparator.comparingLong(TierProvider::maxSize))
                .forEach(t -> System.out.printf("  %-8s up to %8d B  [module %s]%n", t.id(), t.maxSize(),
                        t.getClass().getModule().getName()));
        System.out.println("chosen: " + String.join(", ", tiers));

        try (Allocator heap = Hakmem.builder().tiers(tiers).learning(false).build()) {
            ArrayDeque<Message> window = new ArrayDeque<>();
            long checksum = 0;
            for (int i = 0; i < MESSAGES; i++) {
                MemorySegment header = heap.allocate(64, 8);
                header.set(ValueLayout.JAVA_LONG, 0, i);
                MemorySegment key = heap.allocate(48, 8);
                key.setString(0, "key-" + (i % 1000));
                MemorySegment body = heap.allocate(200 + i % 600, 8);
                body.fill((byte) i);
                MemorySegment buffer = i % 16 == 0 ? heap.allocate(i % 64 == 0 ? 96 * 1024 : 4096, 64) : null;
                window.addLast(new Message(header, key, body, buffer));
                if (window.size() > WINDOW) {
                    checksum += release(heap, window.removeFirst());
                }
            }
            AllocatorStats stats = heap.stats();
            System.out.println();
            System.out.print(stats.report());
            System.out.println();
            while (!window.isEmpty()) {
                checksum += release(heap, window.removeFirst());
            }
            List<String> idle = Arrays.stream(tiers).filter(id -> stats.tier(id).allocations() == 0).toList();
            if (!idle.isEmpty()) {
                System.err.println("example app: tiers " + idle + " served no request");
                System.exit(1);
            }
            System.out.println("example app: " + MESSAGES + " messages through " + heap + ", checksum " + checksum + ": ok");
        }
    }

    /** Frees a message's blocks; returns its header's number, read before the free. */
    private static long release(Allocator heap, Message m) {
        long n = m.header().get(ValueLayout.JAVA_LONG, 0);
        heap.free(m.header());
        heap.free(m.key());
        heap.free(m.body());
        if (m.buffer() != null) {
            heap.free(m.buffer());
        }
        return n;
    }
}
