package hakmem.tck;

/**
 * A block the kit's model holds live: what was asked, what the core handed out, and the byte the kit
 * wrote over it.
 *
 * @param address   its start, as {@code allocate} returned it
 * @param size      bytes asked
 * @param alignment alignment asked
 * @param site      site id passed to {@code allocate}
 * @param usable    {@code usableSize(address)} when it was handed out
 * @param pattern   the byte the kit filled it with
 */
public record Block(long address, long size, long alignment, int site, long usable, byte pattern) {

    /** The first address past the block's usable bytes. */
    public long end() {
        return address + usable;
    }

    @Override
    public String toString() {
        return "block 0x" + Long.toHexString(address) + " (" + size + " B asked, " + usable + " B usable, aligned "
                + alignment + ", site " + site + ")";
    }
}
