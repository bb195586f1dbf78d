import hakmem.api.*;
public class Probe {
    static long sink;
    static void pair(Allocator a, long size) {
        long p = a.malloc(size);
        sink += p;
        a.free(p);
    }
    public static void main(String[] args) {
        Allocator a = Hakmem.builder().concurrency(Concurrency.TLS).learning(false).build();
        long size = Long.parseLong(args[0]);
        long n = Long.parseLong(args[1]);
        for (int r = 0; r < 5; r++) {
            long t0 = System.nanoTime();
            for (long i = 0; i < n; i++) pair(a, size);
            long t1 = System.nanoTime();
            System.out.printf("%.2f ns/pair%n", (t1 - t0) / (double) n);
        }
    }
}
