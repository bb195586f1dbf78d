package hakmem.api;

/**
 * What a {@link Site} asks of the allocator for its blocks, given to {@link Allocator#site(String, SiteOptions)}.
 * Immutable: start from {@link #DEFAULT} and change one setting at a time with the {@code with...} methods.
 *
 * <pre>{@code
 * Site keys = heap.site("tls.keys", SiteOptions.DEFAULT.withZeroOnFree(true));
 * }</pre>
 *
 * @param zeroOnFree whether every block allocated through the site is zeroed (its whole usable size) when it
 *                   is freed, whoever frees it and however ({@code free}, or {@code realloc} moving it), so a
 *                   secret it held never reaches the next user of that memory. Blocks of other sites are not
 *                   touched. Costs a write of every freed byte of the site's blocks and a table entry per live
 *                   block; frees of other sites' blocks, once some zero-on-free site has allocated, also look
 *                   their address up in that table. The builder's {@code zeroOnFree(true)} zeroes every block.
 */
public record SiteOptions(boolean zeroOnFree) {

    /** Nothing asked: the site's blocks are freed as every other block is. */
    public static final SiteOptions DEFAULT = new SiteOptions(false);

    /** These options with {@link #zeroOnFree()} set to {@code zero}. */
    public SiteOptions withZeroOnFree(boolean zero) {
        return new SiteOptions(zero);
    }
}
