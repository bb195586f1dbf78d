/**
 * hakmem's large-pool tier ({@code "l25"}): requests over 32 KiB up to 1 MiB, served as naturally
 * aligned runs of 64 KiB pages inside 2 MiB chunks, with freed blocks cached per site-keyed shard.
 * Exports nothing; the runtime finds the tier through its provider.
 */
module hakmem.l25 {
    requires hakmem.api;

    provides hakmem.api.spi.TierProvider with hakmem.l25.L25TierProvider;
}
