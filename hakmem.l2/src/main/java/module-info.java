/**
 * hakmem's mid tier ({@code "l2"}): requests over 1 KiB up to 32 KiB, served from runs of 64 KiB pages
 * inside 2 MiB chunks. Exports nothing; the runtime finds the tier through its provider.
 */
module hakmem.l2 {
    requires hakmem.api;

    provides hakmem.api.spi.TierProvider with hakmem.l2.L2TierProvider;
}
