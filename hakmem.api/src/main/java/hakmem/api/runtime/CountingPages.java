package hakmem.api.runtime;

import java.util.concurrent.atomic.LongAdder;

/**
 * The OS pages with a count of the fresh ones handed out: every fresh page faults on its first touch,
 * the cost that memory kept for reuse saves and the learner weighs.
 */
final class CountingPages implements PageSource {

    private final PageSource os;
    private final LongAdder mapped = new LongAdder();

    CountingPages(PageSource os) {
        this.os = os;
    }

    /** Bytes of fresh pages mapped or committed so far. */
    long mapped() {
        return mapped.sum();
    }

    @Override
    public long reserve(long length) {
        return os.reserve(length);
    }

    @Override
    public long mapFresh(long length) {
        long address = os.mapFresh(length);
        mapped.add(length);
        return address;
    }

    @Override
    public void commit(long address, long length) {
        os.commit(address, length);
        mapped.add(length);
    }

    @Override
    public void decommit(long address, long length) {
        os.decommit(address, length);
    }

    @Override
    public void drop(long address, long length) {
        os.drop(address, length);
    }

    @Override
    public void unmap(long address, long length) {
        os.unmap(address, length);
    }

    @Override
    public void discard(long address, long length) {
        os.discard(address, length);
    }
}
