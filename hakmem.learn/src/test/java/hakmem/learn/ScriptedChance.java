package hakmem.learn;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.random.RandomGenerator;

/**
 * A random source whose epsilon-greedy choices a test writes down: each entry is one pick, -1 to take
 * the leader, or the index of the strategy to explore. With the script spent, every pick takes the leader.
 * It serves {@link EloTable#pick}'s two draws (a double against epsilon, then an index) and nothing else.
 */
final class ScriptedChance implements RandomGenerator {

    private static final int LEADER = -1;

    private final Deque<Integer> picks = new ArrayDeque<>();
    private int draws;

    ScriptedChance(int... picks) {
        for (int p : picks) {
            this.picks.addLast(p);
        }
    }

    /** Picks not yet made. */
    int left() {
        return picks.size();
    }

    /** Picks made so far, scripted or not. */
    int draws() {
        return draws;
    }

    @Override
    public double nextDouble() {
        draws++;
        Integer next = picks.peekFirst();
        if (next == null || next == LEADER) {
            picks.pollFirst();
            return Math.nextDown(1.0); // never below an epsilon <= 1
        }
        return 0.0; // below any epsilon > 0: explore, nextInt gives the index
    }

    @Override
    public int nextInt(int bound) {
        int index = picks.removeFirst();
        if (index >= bound) {
            throw new IllegalStateException("scripted index " + index + " for " + bound + " strategies");
        }
        return index;
    }

    @Override
    public long nextLong() {
        throw new UnsupportedOperationException("only epsilon-greedy picks are scripted");
    }
}
