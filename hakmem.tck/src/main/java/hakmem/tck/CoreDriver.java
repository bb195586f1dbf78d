package hakmem.tck;

import hakmem.api.ClassStats;
import hakmem.api.InvalidAddressException;
import hakmem.api.InvalidAddressException.Reason;
import hakmem.api.TierStats;
import hakmem.api.spi.TierCore;
import hakmem.api.spi.TierProvider;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One core of a tier driven alone, on a {@link RecordingChunkSource}, next to a model of the blocks it
 * handed out. Every call checks its own outcome against the SPI's contract and throws
 * {@link AssertionError} naming what broke:
 * <ul>
 *   <li>{@link #allocate}: the block is aligned as asked, at least as large, of the smallest listed class
 *       for a plain request when the core lists classes, inside one chunk the core holds, overlapping no
 *       live block; {@code 0} only for an alignment above the plain one; an {@link OutOfMemoryError} only
 *       when the chunk source refused a chunk; a refused request changes nothing;</li>
 *   <li>{@link #free}: the block still holds the bytes the kit wrote (nothing else wrote over it);</li>
 *   <li>{@link #expectRejected}: {@code free} and {@code usableSize} both throw
 *       {@link InvalidAddressException} naming the address, with an allowed reason, and change nothing;</li>
 *   <li>{@link #trim}: every chunk still held holds a live block;</li>
 *   <li>{@link #close}: every chunk goes back;</li>
 *   <li>the source, all along: no chunk released or page discarded under a live block.</li>
 * </ul>
 * {@link #checkStats} compares {@code stats()} with the model. Tier-specific tests use a driver directly.
 */
public final class CoreDriver implements AutoCloseable {

    /** Address space of the driver's chunk source unless told otherwise. */
    public static final long DEFAULT_CAPACITY = 1L << 30;
    /**
     * Blocks up to this size are filled whole; larger ones get a stamp of {@link #STAMP} bytes in each
     * sixteenth (at least every page) and at the end: enough to see an overlap or a discarded page without
     * faulting in every page of a megabyte block.
     */
    private static final long DENSE = 64 * 1024;
    private static final long STAMP = 64;
    /** Freed addresses remembered for {@link Op.Refree}. */
    private static final int FREED = 256;

    private final TierProvider provider;
    private final RecordingChunkSource source;
    private final TierCore core;
    private final Inspector inspector;
    private final long[] classes;

    private final TreeMap<Long, Block> byAddress = new TreeMap<>();
    /** The same blocks in no order, for O(1) picks; {@code index} maps an address to its position. */
    private final ArrayList<Block> live = new ArrayList<>();
    private final HashMap<Long, Integer> index = new HashMap<>();
    private final ArrayList<Long> freed = new ArrayList<>();
    private int freedNext;
    /** Per usable size: allocations, frees, live bytes. */
    private final TreeMap<Long, long[]> perClass = new TreeMap<>();
    private long allocations;
    private long frees;
    private long liveBytes;
    private long handedBytes;
    private int serial;
    private boolean closed;

    /** A core of {@code provider} on its own source of {@link #DEFAULT_CAPACITY} bytes, no inspector. */
    public CoreDriver(TierProvider provider) {
        this(provider, DEFAULT_CAPACITY, Inspector.NONE);
    }

    public CoreDriver(TierProvider provider, long capacity, Inspector inspector) {
        this.provider = provider;
        this.inspector = inspector;
        this.source = new RecordingChunkSource(capacity);
        this.source.guard(this::liveIn);
        this.core = provider.create(source);
        this.classes = core.classSizes().clone();
    }

    public TierProvider provider() {
        return provider;
    }

    public TierCore core() {
        return core;
    }

    public RecordingChunkSource source() {
        return source;
    }

    /** The core's {@code classSizes()} when it was created. */
    public long[] classSizes() {
        return classes.clone();
    }

    /** What the runtime asks for a plain {@code malloc}: 8 bytes for requests of at most 8, else 16. */
    public static long plainAlignment(long size) {
        return size <= 8 ? 8 : 16;
    }

    /** The live blocks, in no particular order. */
    public List<Block> live() {
        return Collections.unmodifiableList(live);
    }

    /** The live blocks in address order. */
    public Collection<Block> liveByAddress() {
        return Collections.unmodifiableCollection(byAddress.values());
    }

    /** A live block chosen by {@code pick} modulo their count; there must be one. */
    public Block pick(int pick) {
        return live.get(Math.floorMod(pick, live.size()));
    }

    // ---------------------------------------------------------------- operations

    /** Applies one step of a random sequence, with its checks. */
    public void apply(Op op) {
        switch (op) {
            case Op.Alloc a -> allocate(a.size(), a.alignLog() < 0 ? plainAlignment(a.size()) : 1L << a.alignLog(), a.site());
            case Op.Burst b -> {
                for (int i = 0; i < b.count(); i++) {
                    allocate(b.size(), plainAlignment(b.size()), b.site());
                }
            }
            case Op.Free f -> {
                if (!live.isEmpty()) {
                    free(pick(f.pick()));
                }
            }
            case Op.Drain d -> {
                if (!live.isEmpty()) {
                    List<Block> victims = new ArrayList<>(byAddress.tailMap(pick(d.pick()).address(), true).values());
                    for (Block b : victims.subList(0, Math.min(d.count(), victims.size()))) {
                        free(b);
                    }
                }
            }
            case Op.DoubleFree d -> {
                if (!live.isEmpty()) {
                    Block b = pick(d.pick());
                    free(b);
                    Reason r = expectedReason(b.address());
                    // Just freed: a free block, or memory the core gave back with it.
                    expectRejected(b.address(), r != null ? EnumSet.of(r) : EnumSet.of(Reason.DOUBLE_FREE, Reason.UNKNOWN));
                }
            }
            case Op.Refree r -> {
                if (!freed.isEmpty()) {
                    long address = freed.get(Math.floorMod(r.pick(), freed.size()));
                    if (!byAddress.containsKey(address)) {
                        expectRejected(address, expectedReason(address));
                    }
                }
            }
            case Op.Interior i -> {
                if (!live.isEmpty()) {
                    Block b = pick(i.pick());
                    if (b.usable() > 1) {
                        expectRejected(b.address() + 1 + Math.floorMod(i.delta(), b.usable() - 1), Reason.INTERIOR);
                    }
                }
            }
            case Op.Stray s -> {
                List<Long> chunks = source.held();
                long address = s.offset();
                if (s.inChunk() && !chunks.isEmpty()) {
                    long offset = Math.floorMod(s.offset(), source.chunkSize());
                    if ((s.offset() & 1) == 0) {
                        offset &= -64; // often on a boundary a block could start at
                    }
                    address = chunks.get(Math.floorMod(s.offset() >>> 21, chunks.size())) + offset;
                }
                if (!byAddress.containsKey(address)) {
                    expectRejected(address, expectedReason(address));
                }
            }
            case Op.Trim t -> trim();
        }
    }

    /**
     * Allocates and checks the outcome; fills the block with a pattern. Returns the block, or {@code null}
     * when the core returned 0 (allowed only above the plain alignment) or threw {@link OutOfMemoryError}
     * (allowed only when the chunk source refused a chunk during the call); either way nothing changed.
     */
    public Block allocate(long size, long alignment, int site) {
        String call = "allocate(" + size + ", " + alignment + ", " + site + ")";
        TierStats before = core.stats();
        long events = source.events();
        long refusals = source.refusals();
        long address;
        try {
            address = core.allocate(size, alignment, site);
        } catch (OutOfMemoryError e) {
            long refused = source.refusals() - refusals;
            if (refused == 0) {
                throw new AssertionError(call + " threw " + e + " though the chunk source refused no chunk", e);
            }
            unchanged(before, events + refused, call + " that threw OutOfMemoryError");
            return null;
        }
        if (address == 0) {
            if (alignment <= plainAlignment(size)) {
                fail(call + " returned 0: a tier must serve every size up to its maxSize() at the plain alignment");
            }
            unchanged(before, events, call + " that returned 0");
            return null;
        }
        long usable = checkShape(call, address, size, alignment);
        Block b = new Block(address, size, alignment, site, usable, (byte) (++serial * 31 + 7));
        Map.Entry<Long, Block> below = byAddress.floorEntry(address);
        Map.Entry<Long, Block> above = byAddress.ceilingEntry(address);
        if (below != null && below.getValue().end() > address) {
            fail(call + " returned " + b + ", overlapping live " + below.getValue());
        }
        if (above != null && b.end() > above.getKey()) {
            fail(call + " returned " + b + ", overlapping live " + above.getValue());
        }
        byAddress.put(address, b);
        index.put(address, live.size());
        live.add(b);
        allocations++;
        liveBytes += size;
        handedBytes += usable;
        long[] c = perClass.computeIfAbsent(usable, k -> new long[3]);
        c[0]++;
        c[2] += size;
        fill(b);
        return b;
    }

    private long checkShape(String call, long address, long size, long alignment) {
        if ((address & (alignment - 1)) != 0) {
            fail(call + " returned 0x" + Long.toHexString(address) + ", not aligned to " + alignment);
        }
        long usable;
        try {
            usable = core.usableSize(address);
        } catch (RuntimeException e) {
            throw new AssertionError("usableSize of the block " + call + " returned (0x" + Long.toHexString(address)
                    + ") threw", e);
        }
        if (usable < size) {
            fail(call + " returned 0x" + Long.toHexString(address) + " with only " + usable + " usable bytes");
        }
        long chunk = address & -source.chunkSize();
        if (!source.holds(address) || ((address + usable - 1) & -source.chunkSize()) != chunk) {
            fail(call + " returned 0x" + Long.toHexString(address) + " (" + usable
                    + " B), which is not inside one chunk the core holds");
        }
        if (classes.length > 0) {
            long smallest = smallestClass(size);
            if (smallest < 0) {
                fail("no listed class holds " + size + " bytes: classSizes() " + Arrays.toString(classes));
            }
            if (alignment <= 16 && Long.lowestOneBit(smallest) >= alignment && usable != smallest) {
                fail(call + " got a " + usable + "-byte block; classSizes() promises the smallest listed class, "
                        + smallest);
            }
            if (Arrays.binarySearch(classes, usable) < 0) {
                fail(call + " got a " + usable + "-byte block, a size classSizes() does not list");
            }
        }
        return usable;
    }

    /** The smallest listed class of at least {@code size} bytes, or -1. */
    public long smallestClass(long size) {
        for (long c : classes) {
            if (c >= size) {
                return c;
            }
        }
        return -1;
    }

    /** Checks the block's contents, then frees it. */
    public void free(Block b) {
        Integer i = index.remove(b.address());
        if (i == null || byAddress.get(b.address()) != b) {
            throw new IllegalArgumentException(b + " is not live in the model");
        }
        byAddress.remove(b.address());
        Block last = live.removeLast();
        if (i < live.size()) {
            live.set(i, last);
            index.put(last.address(), i);
        }
        verify(b);
        core.free(b.address());
        frees++;
        liveBytes -= b.size();
        handedBytes -= b.usable();
        long[] c = perClass.get(b.usable());
        c[1]++;
        c[2] -= b.size();
        if (freed.size() < FREED) {
            freed.add(b.address());
        } else {
            freed.set(freedNext, b.address());
            freedNext = (freedNext + 1) % FREED;
        }
    }

    /** Frees every live block, checking each one's contents. */
    public void freeAll() {
        while (!live.isEmpty()) {
            free(live.getLast());
        }
    }

    /** Calls {@code trim()}; then every chunk the core still holds must hold a live block. */
    public void trim() {
        core.trim();
        for (long chunk : source.held()) {
            Block b = liveIn(chunk, chunk + source.chunkSize());
            if (b == null) {
                fail("trim() kept chunk 0x" + Long.toHexString(chunk) + ", which holds no live block");
            }
        }
        inspector.check(core);
    }

    // ---------------------------------------------------------------- the error contract

    /** As {@link #expectRejected(long, Set)} with one allowed reason, or any when {@code reason} is null. */
    public void expectRejected(long address, Reason reason) {
        expectRejected(address, reason == null ? EnumSet.allOf(Reason.class) : EnumSet.of(reason));
    }

    /**
     * {@code free(address)} and {@code usableSize(address)} both throw {@link InvalidAddressException}
     * naming the address, for the same reason, one of {@code allowed}; stats, chunks and (per the
     * inspector) metadata stay as they were.
     */
    public void expectRejected(long address, Set<Reason> allowed) {
        if (byAddress.containsKey(address)) {
            throw new IllegalArgumentException("0x" + Long.toHexString(address) + " is live in the model");
        }
        TierStats before = core.stats();
        long events = source.events();
        Reason first = null;
        for (int call = 0; call < 2; call++) {
            String name = (call == 0 ? "free" : "usableSize") + "(0x" + Long.toHexString(address) + ")";
            try {
                if (call == 0) {
                    core.free(address);
                } else {
                    core.usableSize(address);
                }
            } catch (InvalidAddressException e) {
                if (e.address() != address || !e.getMessage().contains(Long.toHexString(address))) {
                    throw new AssertionError(name + " threw an exception that does not name the address", e);
                }
                if (!allowed.contains(e.reason())) {
                    throw new AssertionError(name + " gave reason " + e.reason() + ", expected one of " + allowed, e);
                }
                if (first != null && first != e.reason()) {
                    throw new AssertionError(name + " gave reason " + e.reason() + " but free gave " + first, e);
                }
                first = e.reason();
                continue;
            } catch (RuntimeException e) {
                throw new AssertionError(name + " threw " + e + " instead of InvalidAddressException", e);
            }
            fail(name + " accepted an address that is not the start of a live block (expected one of " + allowed + ")");
        }
        unchanged(before, events, "free/usableSize of rejected 0x" + Long.toHexString(address));
        inspector.check(core);
    }

    /**
     * Why {@code address}, not the start of a live block, must be rejected, or null where the SPI allows any
     * reason: the inspector's answer if it has one; inside a live block, {@code INTERIOR}; outside every
     * chunk the core holds, {@code UNKNOWN}.
     */
    public Reason expectedReason(long address) {
        Reason r = inspector.reasonFor(core, address);
        if (r != null) {
            return r;
        }
        Map.Entry<Long, Block> below = byAddress.floorEntry(address);
        if (below != null && address > below.getKey() && address < below.getValue().end()) {
            return Reason.INTERIOR;
        }
        return source.holds(address) ? null : Reason.UNKNOWN;
    }

    // ---------------------------------------------------------------- checks

    /**
     * {@code stats()} equals the model: the tier's id, allocations, frees, live blocks and bytes, handed
     * bytes, reserved bytes equal to the chunks held and to handed + cached + free bytes; classes (when listed) ascending, matching
     * {@code classSizes()} when that is not empty, each counting the blocks whose usable size is its block
     * size, reserving no more than the tier; then the inspector's check.
     */
    public void checkStats() {
        TierStats s = core.stats();
        String model = " (model: allocations " + allocations + ", frees " + frees + ", live " + live.size()
                + ", live bytes " + liveBytes + ", handed " + handedBytes + ", chunks " + source.heldBytes() + " B)";
        if (!provider.id().equals(s.tier())) {
            fail("stats().tier() is '" + s.tier() + "', the provider's id is '" + provider.id() + "'");
        }
        if (s.allocations() != allocations || s.frees() != frees || s.liveBlocks() != live.size()
                || s.liveBytes() != liveBytes || s.handedBytes() != handedBytes) {
            fail("stats " + s + " disagree with the model" + model);
        }
        if (s.reservedBytes() != source.heldBytes()) {
            fail("stats().reservedBytes() " + s.reservedBytes() + " != bytes of the chunks held " + source.heldBytes());
        }
        if (s.cachedBytes() < 0 || s.freeBytes() < 0 || s.handedBytes() + s.cachedBytes() + s.freeBytes() != s.reservedBytes()) {
            fail("stats() do not add up: handed " + s.handedBytes() + " + cached " + s.cachedBytes() + " + free "
                    + s.freeBytes() + " != reserved " + s.reservedBytes());
        }
        List<ClassStats> cs = s.classes();
        if (classes.length > 0 && !Arrays.equals(classes, cs.stream().mapToLong(ClassStats::blockSize).toArray())) {
            fail("stats() lists classes " + cs.stream().map(ClassStats::blockSize).toList() + ", classSizes() "
                    + Arrays.toString(classes));
        }
        if (!cs.isEmpty()) {
            long reserved = 0;
            long previous = 0;
            for (ClassStats c : cs) {
                if (c.blockSize() <= previous) {
                    fail("stats() classes not strictly ascending at " + c.blockSize());
                }
                previous = c.blockSize();
                long[] m = perClass.getOrDefault(c.blockSize(), new long[3]);
                if (c.allocations() != m[0] || c.frees() != m[1] || c.liveBlocks() != m[0] - m[1] || c.liveBytes() != m[2]
                        || c.cachedBlocks() < 0 || c.slabs() < 0 || c.reservedBytes() < 0) {
                    fail("class " + c + " disagrees with the model: allocations " + m[0] + ", frees " + m[1]
                            + ", live bytes " + m[2]);
                }
                reserved += c.reservedBytes();
            }
            for (long usable : perClass.keySet()) {
                if (cs.stream().noneMatch(c -> c.blockSize() == usable)) {
                    fail("blocks of " + usable + " usable bytes count in no class of stats()");
                }
            }
            if (reserved > s.reservedBytes()) {
                fail("the classes reserve " + reserved + " bytes, the tier " + s.reservedBytes());
            }
        }
        inspector.check(core);
    }

    /** The inspector's check of the core's metadata. */
    public void checkInternals() {
        inspector.check(core);
    }

    /** Every live block still holds the bytes the kit wrote, and its usable size has not changed. */
    public void checkLive() {
        for (Block b : byAddress.values()) {
            verify(b);
            long usable = core.usableSize(b.address());
            if (usable != b.usable()) {
                fail("usableSize of " + b + " is now " + usable);
            }
        }
    }

    private void unchanged(TierStats before, long events, String what) {
        TierStats after = core.stats();
        if (!after.equals(before)) {
            fail(what + " changed the stats from " + before + " to " + after);
        }
        if (source.events() != events) {
            fail(what + " acquired, released or discarded memory");
        }
    }

    /** A live block overlapping {@code [from, to)}, or null: the chunk source's guard. */
    private Block liveIn(long from, long to) {
        Map.Entry<Long, Block> e = byAddress.lowerEntry(to);
        return e != null && e.getValue().end() > from ? e.getValue() : null;
    }

    private static void fail(String what) {
        throw new AssertionError(what);
    }

    // ---------------------------------------------------------------- contents

    @SuppressWarnings("restricted") // the kit runs with native access (see module-info)
    private static MemorySegment segment(Block b) {
        return MemorySegment.ofAddress(b.address()).reinterpret(b.usable());
    }

    private static void fill(Block b) {
        MemorySegment s = segment(b);
        if (b.usable() <= DENSE) {
            s.fill(b.pattern());
            return;
        }
        for (long off = 0; off < b.usable(); off += stride(b)) {
            s.asSlice(off, Math.min(STAMP, b.usable() - off)).fill(b.pattern());
        }
        s.asSlice(b.usable() - STAMP).fill(b.pattern());
    }

    private static long stride(Block b) {
        return Math.max(4096, b.usable() / 16);
    }

    private static void verify(Block b) {
        MemorySegment s = segment(b);
        if (b.usable() <= DENSE) {
            verify(b, s, 0, b.usable());
            return;
        }
        for (long off = 0; off < b.usable(); off += stride(b)) {
            verify(b, s, off, Math.min(off + STAMP, b.usable()));
        }
        verify(b, s, b.usable() - STAMP, b.usable());
    }

    private static void verify(Block b, MemorySegment s, long from, long to) {
        long word = 0x0101010101010101L * (b.pattern() & 0xFF);
        long i = from;
        for (; i + 8 <= to; i += 8) {
            if (s.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != word) {
                break;
            }
        }
        for (; i < to; i++) {
            if (s.get(ValueLayout.JAVA_BYTE, i) != b.pattern()) {
                fail(b + " was overwritten at +" + i + " while live: another block overlaps it, or the core wrote"
                        + " into it or discarded its pages");
            }
        }
    }

    // ---------------------------------------------------------------- close

    /** Closes the core (every chunk it holds must go back to the source), then the source. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            source.guard(null); // close() releases chunks with live blocks in them: that is its job
            core.close();
            if (!source.held().isEmpty()) {
                fail("close() kept " + source.held().size() + " chunks");
            }
        } finally {
            source.close();
        }
    }
}
