package hakmem.api;

/** How an allocator is made safe for threads; a deployment picks one. */
public enum Concurrency {
    /** One lock per tier and one for the big-block path: simplest, correct, does not scale. */
    LOCKED,
    /** Several independent instances of each tier; a thread maps to one, a free goes to the owner. */
    SHARDED,
    /** Per-thread magazines of blocks in front of a sharded backend. */
    TLS
}
