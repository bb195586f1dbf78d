package hakmem.tck;

import hakmem.api.InvalidAddressException.Reason;
import hakmem.api.spi.TierCore;

/**
 * What a tier's own tests know about its cores beyond the SPI. The kit checks a core only through the
 * SPI; a tier whose tests can read its cores' metadata (test code in the tier's package) gives the kit
 * an inspector, and the kit calls it after every checked step, so a broken free list is caught when it
 * breaks rather than when it first hands out a wrong block. Both methods are optional.
 */
public interface Inspector {

    /** The inspector of a tier whose tests add nothing. */
    Inspector NONE = new Inspector() {
    };

    /**
     * Walks the core's metadata and throws {@link AssertionError} naming the first inconsistency. Must
     * change nothing.
     */
    default void check(TierCore core) {
    }

    /**
     * Why the core must reject {@code address}, which is not the start of a live block, or {@code null}
     * when this inspector does not say (the kit then accepts what the SPI allows there). Must change nothing.
     */
    default Reason reasonFor(TierCore core, long address) {
        return null;
    }
}
