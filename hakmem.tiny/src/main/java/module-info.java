/**
 * hakmem's tiny tier: requests of 1 B to 1 KiB from single-class 64 KiB slabs carved out of 2 MiB
 * chunks, with every free list and live map kept on the Java heap, out of the user's memory.
 * Exports nothing: the runtime finds the tier through {@link hakmem.api.spi.TierProvider}.
 */
module hakmem.tiny {
    requires hakmem.api;

    provides hakmem.api.spi.TierProvider with hakmem.tiny.TinyTierProvider;
}
