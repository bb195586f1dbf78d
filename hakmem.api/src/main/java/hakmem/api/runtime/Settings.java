package hakmem.api.runtime;

import hakmem.api.Concurrency;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code hakmem.*} system properties an allocator reads when it is built: their names, what each
 * accepts, and the check that runs first in every build.
 *
 * <p>Strict on purpose: a property that is misspelt ({@code hakmem.zeroonfree}) or holds a value it does
 * not accept ({@code hakmem.zeroOnFree=yes}, {@code hakmem.shards=-1}, an empty value from an unset shell
 * variable) fails the build with {@link IllegalArgumentException} naming the key, the value and what is
 * accepted, rather than being ignored and leaving the allocator in a configuration nobody chose. Every
 * property is checked, also those a builder setting overrides. Keys under {@code hakmem.bench.} and
 * {@code hakmem.test.} belong to hakmem's benchmarks and tests, which pass them through the same JVMs
 * (the bench hands every {@code hakmem.*} property to its child JVMs), and are left alone.
 */
public final class Settings {

    public static final String TIERS = Providers.TIERS_PROPERTY;
    public static final String CONCURRENCY = "hakmem.concurrency";
    public static final String SHARDS = "hakmem.shards";
    public static final String LEARNING = "hakmem.learning";
    public static final String LEARNING_MODE = "hakmem.learning.mode";
    public static final String STRICT_FREES = "hakmem.strictFrees";
    public static final String ZERO_ON_FREE = "hakmem.zeroOnFree";
    public static final String FAIL_ON_LEAK = "hakmem.failOnLeak";
    public static final String DEBUG = "hakmem.debug";
    public static final String JMX = "hakmem.jmx";

    /** Prefix of every key this class checks. */
    static final String PREFIX = "hakmem.";
    /** Key prefixes left to hakmem's benchmarks and tests. */
    static final List<String> NOT_OURS = List.of("hakmem.bench.", "hakmem.test.");

    /** Most cores per tier. */
    public static final int MAX_SHARDS = 1024;

    private static final String BOOLEAN = "true or false (any case)";

    /** Every key, with the values it accepts in words; sorted, as error messages list them. */
    private static final Map<String, String> KEYS = new TreeMap<>(Map.of(
            TIERS, "tier ids separated by commas (any case), or none, or empty for no tier",
            CONCURRENCY, "one of " + Arrays.toString(Concurrency.values()) + " (any case)",
            SHARDS, "a whole number from 1 to " + MAX_SHARDS,
            LEARNING, BOOLEAN,
            LEARNING_MODE, "a mode the learner knows (hakmem.learn's: MINIMAL, FAST, BALANCED, LEARNING, RESEARCH)",
            STRICT_FREES, BOOLEAN,
            ZERO_ON_FREE, BOOLEAN,
            FAIL_ON_LEAK, BOOLEAN,
            DEBUG, BOOLEAN,
            JMX, BOOLEAN));

    private Settings() {
    }

    /** The keys this class knows, sorted. */
    public static List<String> keys() {
        return List.copyOf(KEYS.keySet());
    }

    /**
     * Checks every {@code hakmem.*} system property: the key must be one of {@link #keys()} (or under a
     * prefix left to the benchmarks and tests) and its value one the key accepts.
     *
     * @throws IllegalArgumentException naming the first bad key or value and what is accepted
     */
    public static void check() {
        for (String key : new java.util.TreeSet<>(System.getProperties().stringPropertyNames())) {
            if (!key.startsWith(PREFIX) || NOT_OURS.stream().anyMatch(key::startsWith)) {
                continue;
            }
            String value = System.getProperty(key);
            if (value == null) {
                continue; // cleared by another thread meanwhile
            }
            if (!KEYS.containsKey(key)) {
                throw new IllegalArgumentException("unknown system property " + key + "=" + value + "; hakmem's are "
                        + String.join(", ", KEYS.keySet()) + " (keys under " + String.join(" and ", NOT_OURS)
                        + " are left to hakmem's benchmarks and tests)");
            }
            switch (key) {
                case TIERS -> tiers();
                case CONCURRENCY -> concurrency();
                case SHARDS -> shards();
                case LEARNING_MODE -> learningMode();
                default -> flag(key);
            }
        }
    }

    /** The tier ids of the {@code hakmem.tiers} property (empty for none), or null when unset. */
    public static List<String> tiers() {
        String p = System.getProperty(TIERS);
        if (p == null) {
            return null;
        }
        List<String> ids = Providers.parseIds(p);
        if (!ids.stream().allMatch(id -> Providers.ID.matcher(id).matches())) {
            throw bad(TIERS, p);
        }
        return ids;
    }

    /** The {@code hakmem.concurrency} property, or null when unset. */
    public static Concurrency concurrency() {
        String p = System.getProperty(CONCURRENCY);
        if (p == null) {
            return null;
        }
        try {
            return Concurrency.valueOf(p.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw bad(CONCURRENCY, p);
        }
    }

    /** The {@code hakmem.shards} property, or 0 when unset. */
    public static int shards() {
        String p = System.getProperty(SHARDS);
        if (p == null) {
            return 0;
        }
        try {
            int n = Integer.parseInt(p.strip());
            if (n >= 1 && n <= MAX_SHARDS) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad(SHARDS, p);
    }

    /** The {@code hakmem.learning.mode} property, stripped, or null when unset. */
    public static String learningMode() {
        String p = System.getProperty(LEARNING_MODE);
        if (p == null) {
            return null;
        }
        if (p.isBlank()) {
            throw bad(LEARNING_MODE, p);
        }
        return p.strip();
    }

    /** A true/false property ({@link #LEARNING}, {@link #STRICT_FREES}, ...): its value, or null when unset. */
    public static Boolean flag(String key) {
        String p = System.getProperty(key);
        if (p == null) {
            return null;
        }
        String v = p.strip();
        if (v.equalsIgnoreCase("true")) {
            return Boolean.TRUE;
        }
        if (v.equalsIgnoreCase("false")) {
            return Boolean.FALSE;
        }
        throw bad(key, p);
    }

    private static IllegalArgumentException bad(String key, String value) {
        return new IllegalArgumentException("system property " + key + "='" + value + "' is not valid; it takes " + KEYS.get(key));
    }
}
