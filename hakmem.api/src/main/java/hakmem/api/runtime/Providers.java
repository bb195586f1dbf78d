package hakmem.api.runtime;

import hakmem.api.spi.LearnerProvider;
import hakmem.api.spi.TierProvider;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.regex.Pattern;

/**
 * Finds tier and learner providers once through {@link ServiceLoader} (module path and class path),
 * validates them and puts them in a deterministic order: tiers by {@code maxSize()} then id. A broken
 * provider is reported and skipped; duplicate ids are kept here and rejected when an allocator is built,
 * naming both classes.
 */
public final class Providers {

    /** System property choosing tiers by id, comma-separated; empty or {@code none} for no tier. */
    public static final String TIERS_PROPERTY = "hakmem.tiers";

    static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9._-]*");
    private static final System.Logger LOG = System.getLogger("hakmem");

    /** What discovery found. {@code problems} lists providers that failed to load, with the reason. */
    public record Found(List<TierProvider> tiers, List<LearnerProvider> learners, List<String> problems) {
    }

    private static final class Holder {
        static final Found FOUND = discover(Providers.class.getClassLoader());
    }

    private Providers() {
    }

    /** Providers visible to hakmem.api's class loader, found on first use and cached. */
    public static Found found() {
        return Holder.FOUND;
    }

    static Found discover(ClassLoader loader) {
        List<String> problems = new ArrayList<>();
        List<TierProvider> tiers = load(TierProvider.class, loader, problems);
        List<LearnerProvider> learners = load(LearnerProvider.class, loader, problems);
        tiers.removeIf(t -> {
            String why = invalid(t);
            if (why != null) {
                problems.add(where(t) + ": " + why);
            }
            return why != null;
        });
        tiers.sort(ORDER);
        learners.sort(Comparator.comparing(LearnerProvider::id));
        for (String p : problems) {
            LOG.log(System.Logger.Level.WARNING, "hakmem: skipped a provider: " + p);
        }
        return new Found(List.copyOf(tiers), List.copyOf(learners), List.copyOf(problems));
    }

    private static <S> List<S> load(Class<S> service, ClassLoader loader, List<String> problems) {
        List<S> out = new ArrayList<>();
        Iterator<S> it = ServiceLoader.load(service, loader).iterator();
        // Bounded: a loader that keeps failing on the same entry must not spin forever.
        for (int attempts = 0; attempts < 1000; attempts++) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                out.add(it.next());
            } catch (ServiceConfigurationError e) {
                problems.add(service.getSimpleName() + " " + e.getMessage()
                        + (e.getCause() == null ? "" : " (" + e.getCause() + ")"));
            }
        }
        return out;
    }

    static final Comparator<TierProvider> ORDER =
            Comparator.comparingLong(TierProvider::maxSize).thenComparing(TierProvider::id);

    private static String invalid(TierProvider t) {
        String id;
        long max;
        try {
            id = t.id();
            max = t.maxSize();
        } catch (RuntimeException e) {
            return "id() or maxSize() threw " + e;
        }
        if (id == null || !ID.matcher(id).matches()) {
            return "id must match " + ID + ": " + id;
        }
        if (id.equals(BigBlocks.ID)) {
            return "id '" + id + "' is reserved for the big-block path";
        }
        if (max < 1 || max > (1L << 30)) {
            return "maxSize() must be 1 B .. 1 GiB: " + max;
        }
        return null;
    }

    /** Where a provider came from: its module, or the class path location of its class. */
    public static String where(Object provider) {
        Class<?> c = provider.getClass();
        Module m = c.getModule();
        String from;
        if (m.isNamed()) {
            from = "module " + m.getName();
        } else {
            var source = c.getProtectionDomain().getCodeSource();
            from = "class path " + (source == null ? "?" : source.getLocation());
        }
        return c.getName() + " [" + from + "]";
    }

    /**
     * Chooses tiers from {@code available}: the ids asked for (explicit list, else the
     * {@value #TIERS_PROPERTY} property, else all). Rejects duplicate ids and unknown ids.
     */
    public static List<TierProvider> select(Collection<TierProvider> available, List<String> ids) {
        Map<String, TierProvider> byId = new LinkedHashMap<>();
        for (TierProvider t : available) {
            String why = invalid(t);
            if (why != null) {
                throw new IllegalArgumentException("invalid tier provider " + where(t) + ": " + why);
            }
            TierProvider other = byId.putIfAbsent(t.id(), t);
            if (other != null) {
                throw new IllegalStateException("two tier providers share the id '" + t.id() + "': "
                        + where(other) + " and " + where(t) + "; remove one from the module or class path");
            }
        }
        List<String> wanted = ids;
        if (wanted == null) {
            wanted = Settings.tiers();
        }
        List<TierProvider> chosen = new ArrayList<>();
        if (wanted == null) {
            chosen.addAll(byId.values());
        } else {
            Map<String, Boolean> seen = new HashMap<>();
            for (String id : wanted) {
                TierProvider t = byId.get(id);
                if (t == null) {
                    throw new IllegalArgumentException("unknown tier '" + id + "'; available: "
                            + (byId.isEmpty() ? "none (no tier module on the module or class path)" : String.join(", ", byId.keySet())));
                }
                if (seen.put(id, Boolean.TRUE) == null) {
                    chosen.add(t);
                }
            }
        }
        chosen.sort(ORDER);
        for (int i = 1; i < chosen.size(); i++) {
            if (chosen.get(i).maxSize() == chosen.get(i - 1).maxSize()) {
                throw new IllegalStateException("tiers '" + chosen.get(i - 1).id() + "' and '" + chosen.get(i).id()
                        + "' both serve up to " + chosen.get(i).maxSize() + " bytes; choose one");
            }
        }
        return chosen;
    }

    static List<String> parseIds(String list) {
        String trimmed = list.trim().toLowerCase(Locale.ROOT);
        if (trimmed.isEmpty() || trimmed.equals("none")) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String part : trimmed.split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return out;
    }

    /** A human-readable list of what was found, for {@code java -m hakmem.api}. */
    public static String report(Found found) {
        StringBuilder sb = new StringBuilder();
        sb.append("hakmem tier providers (in routing order):\n");
        if (found.tiers().isEmpty()) {
            sb.append("  none: every size is served by the big-block path\n");
        }
        long below = 0;
        for (TierProvider t : found.tiers()) {
            sb.append(String.format("  %-6s %9d..%-9d %s  %s%n", t.id(), below + 1, t.maxSize(), where(t), t.description()));
            below = Math.max(below, t.maxSize());
        }
        sb.append(String.format("  %-6s %9d..     (one mapping per block, cached)%n", BigBlocks.ID, below + 1));
        sb.append("hakmem learner providers:\n");
        if (found.learners().isEmpty()) {
            sb.append("  none: learning is off\n");
        }
        for (LearnerProvider l : found.learners()) {
            sb.append("  ").append(l.id()).append("  ").append(where(l)).append("  ").append(l.description()).append('\n');
        }
        for (String p : found.problems()) {
            sb.append("skipped: ").append(p).append('\n');
        }
        return sb.toString();
    }
}
