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

    private final long address;
    private final Reason reason;

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

    public long address() {
        return address;
    }

    public Reason reason() {
        return reason;
    }
}
