package hakmem.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The JDK-only way to free one block at a time: one {@link Arena#ofShared()} per block, closed on free.
 * {@code Arena.allocate} zeroes the block, and closing a shared arena makes every thread reach a safepoint
 * (a handshake) so no thread still uses it: about a thousand times slower than {@code malloc}, so runs
 * with it are kept short ({@link Allocators.Spec#maxSeconds()}). Blocks are 16-byte aligned, as
 * {@code malloc}'s are. Handles index a {@link HandleTable} of the arenas.
 */
public final class ArenaBackend extends HandleBackend<Arena> {

    @Override
    public String name() {
        return "arena";
    }

    @Override
    public long malloc(long size) {
        Arena arena = Arena.ofShared();
        MemorySegment s = arena.allocate(Math.max(size, 1), 16);
        return put(arena, s.address(), size);
    }

    @Override
    void release(Arena arena) {
        arena.close();
    }
}
