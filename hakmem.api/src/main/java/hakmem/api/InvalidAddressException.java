package hakmem.api;

/** An address passed to {@code free}, {@code realloc} or {@code usableSize} that is not a live block. */
public final class InvalidAddressException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** What is wrong with the address. */
    public enum Reason {
        /** Not an address this allocator handed out (or one whose memory went back to the OS since). */
        UNKNOWN,
        /** Inside a block but not at its start. */
        INTERIOR,
        /** The start of a block that is already free. */
        DOUBLE_FREE
    }

    /** The address that was passed. */
    private final long address;
    /** Why it is invalid. */
    private final Reason reason;

    /**
     * @param address the address that was passed
     * @param reason  why it is invalid
     * @param detail  more about it for the message (e.g. the block it lies in), or null
     */
    public InvalidAddressException(long address, Reason reason, String detail) {
        super(message(address, reason, detail));
        this.address = address;
        this.reason = reason;
    }

    private static String message(long address, Reason reason, String detail) {
        String what = switch (reason) {
            case UNKNOWN -> "was not returned by this allocator or was already freed";
            case INTERIOR -> "points inside a block, not at its start";
            case DOUBLE_FREE -> "is already free (double free)";
        };
        return "address 0x" + Long.toHexString(address) + " " + what + (detail == null ? "" : " (" + detail + ")");
    }

    /** @return the address that was passed */
    public long address() {
        return address;
    }

    /** @return why the address is invalid */
    public Reason reason() {
        return reason;
    }
}
