package hakmem.api;

import hakmem.api.runtime.AllocatorBean;
import hakmem.api.runtime.Platform;
import hakmem.api.runtime.PooledAllocator;
import hakmem.api.runtime.Providers;
import hakmem.api.runtime.Settings;
import hakmem.api.spi.LearnerProvider;
import hakmem.api.spi.Policy;
import hakmem.api.spi.TierProvider;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Entry point: {@link #create()} for an allocator with every tier found, or {@link #builder()} to choose.
 *
 * <p>Tier and learner providers are found once through {@link java.util.ServiceLoader}, on the module
 * path and on the class path. System properties, read when an allocator is built, override the defaults
 * (builder settings override both):
 * <ul>
 *   <li>{@code hakmem.tiers} — tier ids to use, comma-separated ({@code none}, or empty, for no tier);</li>
 *   <li>{@code hakmem.concurrency} — {@code LOCKED}, {@code SHARDED} or {@code TLS};</li>
 *   <li>{@code hakmem.shards} — cores per tier for SHARDED and TLS, 1 to 1024 (default: two per processor,
 *       at least 16);</li>
 *   <li>{@code hakmem.learning} — {@code false} to turn learning off;</li>
 *   <li>{@code hakmem.learning.mode} — the learner's mode (the {@code hakmem.learn} engine's: {@code MINIMAL},
 *       {@code FAST}, {@code BALANCED}, {@code LEARNING}, {@code RESEARCH}; see {@link Builder#learningMode});</li>
 *   <li>{@code hakmem.strictFrees} — {@code true} for strict frees (see {@link Builder#strictFrees});</li>
 *   <li>{@code hakmem.zeroOnFree} — {@code true} to zero blocks as they are freed (see {@link Builder#zeroOnFree});</li>
 *   <li>{@code hakmem.failOnLeak} — {@code true}: {@code close()} throws when blocks are live (see
 *       {@link Builder#failOnLeak});</li>
 *   <li>{@code hakmem.debug} — {@code true} for debug mode (see {@link Builder#debug});</li>
 *   <li>{@code hakmem.jmx} — {@code true} to register each allocator's {@link AllocatorMXBean} (see
 *       {@link Builder#jmx}).</li>
 * </ul>
 * The true/false properties take {@code true} or {@code false} in any case and nothing else. Every
 * {@code hakmem.*} property is checked when an allocator is built, also those a builder setting overrides:
 * an unknown key (a misspelt one) or a value a key does not accept fails {@link Builder#build()} with
 * {@link IllegalArgumentException} naming it and what is accepted. Keys under {@code hakmem.bench.} and
 * {@code hakmem.test.} belong to hakmem's benchmarks and tests and are not checked.
 *
 * <p>A first allocator with the defaults:
 * {@snippet :
 * try (Allocator heap = Hakmem.create()) {
 *     long p = heap.malloc(100);
 *     heap.free(p);
 * }
 * }
 * Run {@code java --module-path <jars> -m hakmem.api} to list what is found and where from.
 */
public final class Hakmem {

    /** Pooled address space reserved when no memory limit is set (address space only, no memory). */
    static final long DEFAULT_RESERVATION = 64L << 30;

    private Hakmem() {
    }

    /** An allocator with every tier found, thread caches (TLS) and the default settings. */
    public static Allocator create() {
        return builder().build();
    }

    /** @return a builder with every setting at its default (see the class comment for the properties) */
    public static Builder builder() {
        return new Builder();
    }

    /** Prints the providers found and where each came from. */
    public static void main(String[] args) {
        System.out.print(Providers.report(Providers.found()));
        try (Allocator a = create()) {
            long p = a.malloc(100);
            a.free(p);
            System.out.println("self-check: malloc/free through " + a + " ok");
        }
    }

    /** Chooses an allocator's variant, tiers, learning and limit. Not thread-safe; reusable. */
    public static final class Builder {
        private Concurrency concurrency;
        private List<String> tierIds;
        private List<TierProvider> providers;
        private Boolean learning;
        private List<LearnerProvider> learners;
        private String learningMode;
        private ScheduledExecutorService learnerExecutor;
        private Policy policy = Policy.DEFAULT;
        private long memoryLimit = Long.MAX_VALUE;
        private int shards;
        private Boolean strictFrees;
        private Boolean zeroOnFree;
        private Boolean failOnLeak;
        private Boolean debug;
        private Boolean jmx;
        private String name;

        private Builder() {
        }

        /** The variant; default the {@code hakmem.concurrency} property, else {@code TLS}. */
        public Builder concurrency(Concurrency concurrency) {
            this.concurrency = Objects.requireNonNull(concurrency, "concurrency");
            return this;
        }

        /**
         * Cores per tier for {@link Concurrency#SHARDED} and {@link Concurrency#TLS}, 1 to 1024; default the
         * {@code hakmem.shards} property, else two per available processor and at least 16. A thread takes a
         * shard no other running thread uses while there is one, so the shards in use, and the memory they
         * hold, follow the threads that run; an unused shard holds nothing.
         */
        public Builder shards(int shards) {
            if (shards < 1 || shards > 1024) {
                throw new IllegalArgumentException("shards must be 1..1024: " + shards);
            }
            this.shards = shards;
            return this;
        }

        /** Only these tiers, by id, in any order; no id at all means the big-block path serves every size. */
        public Builder tiers(String... ids) {
            this.tierIds = List.copyOf(Arrays.asList(ids));
            return this;
        }

        /** Uses these tier providers instead of discovering them (for tests and plugin layers). */
        public Builder tierProviders(List<? extends TierProvider> providers) {
            this.providers = List.copyOf(providers);
            return this;
        }

        /** Turns learning on (default, when a learner provider is found) or off. */
        public Builder learning(boolean on) {
            this.learning = on;
            return this;
        }

        /**
         * The learner's mode, a name its provider knows (the {@code hakmem.learn} engine: {@code MINIMAL}
         * never leaves the starting policy, {@code FAST}, {@code BALANCED} (its default), {@code LEARNING},
         * {@code RESEARCH} explore more and longer); building fails naming the value when the learner
         * does not know it. Default: the {@code hakmem.learning.mode} property, else the learner's default.
         */
        public Builder learningMode(String mode) {
            if (mode == null || mode.isBlank()) {
                throw new IllegalArgumentException("learning mode must not be blank: '" + mode + "'");
            }
            this.learningMode = mode;
            return this;
        }

        /**
         * Runs the learner's periodic work (draining samples, closing windows) as a task on
         * {@code executor} instead of a daemon thread of its own, for applications that keep their
         * threads in one place. The allocator cancels its task on {@code close()} and never shuts the
         * executor down. The task holds no lock the allocation paths take, but a window may take some
         * milliseconds: give it an executor whose other tasks can wait that long. Default: the learner's
         * own thread.
         */
        public Builder learnerExecutor(ScheduledExecutorService executor) {
            this.learnerExecutor = Objects.requireNonNull(executor, "learner executor");
            return this;
        }

        /**
         * The policy the allocator starts with (default {@link Policy#DEFAULT}); with learning off it is the
         * policy for good, so a user can pin the knobs a learner would otherwise steer.
         */
        public Builder policy(Policy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** Uses these learner providers instead of discovering them. */
        public Builder learnerProviders(List<? extends LearnerProvider> providers) {
            this.learners = List.copyOf(providers);
            return this;
        }

        /**
         * TLS only: whether a free takes the block's mark with an atomic swap (strict) or with a plain
         * read and write (default; the other variants always check under a lock). Either way a double,
         * foreign or interior free throws at the call and changes nothing, unless two threads free one
         * block at the same moment: then strict mode lets exactly one free win and the other throws,
         * while the default may let both return, putting the block in two thread caches; the second
         * copy is dropped when it leaves its cache ({@link CacheStats#duplicates()}), never handed out
         * while the first is held. Default: the {@code hakmem.strictFrees} property, else false.
         */
        public Builder strictFrees(boolean strict) {
            this.strictFrees = strict;
            return this;
        }

        /**
         * Whether every block is zeroed as it is freed (its whole usable size), so a secret freed by one
         * caller never reaches the next caller of that memory, whatever it asks for. Costs a write of
         * every freed byte. {@code calloc} zeroes in any case. To zero only the blocks of some sites, make
         * them with {@link SiteOptions#zeroOnFree()} instead. Default: the {@code hakmem.zeroOnFree}
         * property, else false.
         */
        public Builder zeroOnFree(boolean zero) {
            this.zeroOnFree = zero;
            return this;
        }

        /**
         * Whether {@code close()} with blocks still live throws {@link IllegalStateException} carrying the
         * leak report (blocks and bytes per tier, and per site in {@link #debug debug mode}), after giving all
         * memory back, instead of logging it as a
         * warning through {@link System.Logger} "hakmem". Default: the {@code hakmem.failOnLeak} property,
         * else false.
         */
        public Builder failOnLeak(boolean fail) {
            this.failOnLeak = fail;
            return this;
        }

        /**
         * Debug mode: 16 guard bytes after every block,
         * checked when it is freed (a write past the end throws {@link IllegalStateException} naming the
         * block's address and size, after freeing it); freed memory poisoned; each live block's site kept,
         * so the leak report counts blocks and bytes per site; one allocation in 64 records its stack, shown
         * in the leak report. Every request takes the locked or cached path with a table
         * update: a mode for tests and investigations. Default: the {@code hakmem.debug} property, else false.
         */
        public Builder debug(boolean on) {
            this.debug = on;
            return this;
        }

        /**
         * Whether the allocator registers an {@link AllocatorMXBean} named
         * {@code hakmem:type=Allocator,name=<name>} with the platform MBean server when built; {@code close()}
         * unregisters it (until then the server keeps the allocator reachable). Default: true when a
         * {@link #name} is given, else the {@code hakmem.jmx} property, else false.
         */
        public Builder jmx(boolean on) {
            this.jmx = on;
            return this;
        }

        /**
         * The name JMX shows the allocator under; giving one turns {@link #jmx} on unless it was set to
         * false. Default: {@code hakmem-1}, {@code hakmem-2}, ... in build order, unique in this JVM. Building
         * throws {@link IllegalArgumentException} while an open allocator holds the name.
         *
         * @throws IllegalArgumentException if the name is blank or holds one of {@code , = : " * ?} or a line break
         */
        public Builder name(String name) {
            AllocatorBean.objectName(name);
            this.name = name;
            return this;
        }

        /** Most bytes the allocator maps from the OS at once; past it requests get OutOfMemoryError. */
        public Builder memoryLimit(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("memory limit must be > 0 bytes: " + bytes);
            }
            this.memoryLimit = bytes;
            return this;
        }

        /**
         * Builds the allocator.
         *
         * @throws IllegalArgumentException if a {@code hakmem.*} system property is unknown or holds a value it
         *                                  does not accept (every one is checked, also those a builder setting
         *                                  overrides), or a tier asked for is not found
         * @throws IllegalStateException    if several learner providers are found with learning on, or two tier
         *                                  providers share an id
         */
        public Allocator build() {
            Platform.check();
            Settings.check();
            Concurrency property = Settings.concurrency();
            Concurrency c = concurrency != null ? concurrency : property != null ? property : Concurrency.TLS;
            Providers.Found found = providers == null || learners == null ? Providers.found() : null;
            List<TierProvider> available = providers != null ? providers : found.tiers();
            List<TierProvider> chosen = Providers.select(available, tierIds);
            LearnerProvider learner = chooseLearner(learners != null ? learners : found.learners());
            long reservation = Math.min(memoryLimit, DEFAULT_RESERVATION);
            int n = c == Concurrency.LOCKED ? 1 : shards > 0 ? shards : shardsProperty();
            PooledAllocator.Options options = new PooledAllocator.Options(
                    flag(strictFrees, Settings.STRICT_FREES), flag(zeroOnFree, Settings.ZERO_ON_FREE),
                    flag(failOnLeak, Settings.FAIL_ON_LEAK), flag(debug, Settings.DEBUG),
                    policy, learningMode != null ? learningMode : Settings.learningMode(), learnerExecutor);
            PooledAllocator a = PooledAllocator.open(c, n, chosen, memoryLimit, reservation, learner, options);
            if (jmx != null ? jmx : name != null || flag(null, Settings.JMX)) {
                try {
                    a.registerBean(name);
                } catch (RuntimeException | Error e) {
                    a.close(); // a name taken must not leave an allocator behind that nobody can close
                    throw e;
                }
            }
            return a;
        }

        private LearnerProvider chooseLearner(List<LearnerProvider> candidates) {
            boolean on = learning != null ? learning : !Boolean.FALSE.equals(Settings.flag(Settings.LEARNING));
            if (!on || candidates.isEmpty()) {
                return null;
            }
            if (candidates.size() > 1) {
                List<String> names = new ArrayList<>();
                for (LearnerProvider l : candidates) {
                    names.add(l.id() + " = " + Providers.where(l));
                }
                throw new IllegalStateException("several learner providers found, keep one or turn learning off: " + names);
            }
            return candidates.get(0);
        }

        /**
         * Two shards per processor and at least 16, so up to that many threads each have a shard to
         * themselves even when they outnumber the processors. Threads that share a shard share its free
         * lists (SHARDED) or its depot (TLS), so each one's blocks spread over all the shard's memory and
         * the caches miss (larson at 1 thread with 8 times the blocks runs as slowly as 8 threads on one
         * core). TLS: each shard has its own depot, so a thread trades blocks with no other thread and the
         * marks of its blocks stay in its own processor's cache. Figures:
         * {@code hakmem.bench/results/2026-12-08-2-cores-threads-over-cores}. A shard no thread uses holds
         * no memory; each shard a thread has used keeps partly used chunks, l25's freed-block caches and
         * (TLS) a share of the depots. Free pages kept undiscarded do not grow with the shards: their
         * floor is one per tier.
         */
        private static int shardsProperty() {
            int n = Settings.shards();
            return n > 0 ? n : Math.min(Settings.MAX_SHARDS, Math.max(16, 2 * Runtime.getRuntime().availableProcessors()));
        }

        /** A true/false setting: the builder's, else the property's, else false. */
        private static boolean flag(Boolean set, String key) {
            if (set != null) {
                return set;
            }
            Boolean p = Settings.flag(key);
            return p != null && p;
        }
    }
}
