package hakmem.learn;

/**
 * What one window cost while one strategy ran: lower is better for every component.
 *
 * @param nanosPerOp  mean time per allocation or free in the window
 * @param bytesMapped bytes newly mapped from the OS in the window; every fresh page faults once, so this
 *                    stands for page faults (a feeder that counts faults may pass faults times the page size)
 * @param bytesHeld   bytes the allocator held (reserved, not yet given back) at the window's end
 */
record WindowCost(double nanosPerOp, long bytesMapped, long bytesHeld) {

    WindowCost {
        if (!(nanosPerOp >= 0.0) || Double.isInfinite(nanosPerOp)) {
            throw new IllegalArgumentException("nanosPerOp must be finite and >= 0: " + nanosPerOp);
        }
        if (bytesMapped < 0) {
            throw new IllegalArgumentException("bytesMapped must be >= 0: " + bytesMapped);
        }
        if (bytesHeld < 0) {
            throw new IllegalArgumentException("bytesHeld must be >= 0: " + bytesHeld);
        }
    }
}
