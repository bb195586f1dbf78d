package hakmem.learn;

import hakmem.api.spi.Learner;
import hakmem.api.spi.LearnerContext;
import hakmem.api.spi.LearnerProvider;
import hakmem.api.spi.Policy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * hakmem's learning engine as a provider: ELO-rated strategies, LEARN / FROZEN / CANARY, one learner
 * thread per allocator. The candidates are the policy the allocator starts with and two around it: a
 * lean one that gives memory back (for idle phases) and a roomy one that keeps big blocks and chunks
 * for reuse (for bursts of large short-lived blocks).
 */
public final class EngineLearnerProvider implements LearnerProvider {

    /** The mode when none is asked for. */
    static final Mode DEFAULT_MODE = Mode.BALANCED;


    @Override
    public String id() {
        return "elo";
    }

    @Override
    public Learner start(LearnerContext context) {
        Mode mode = mode(context.mode());
        return new EngineLearner(context, mode, candidates(context.policy()), new SplittableRandom(0x5EEDL)).start();
    }

    /** The mode named {@code name} (any case), or the default for null. */
    static Mode mode(String name) {
        if (name == null) {
            return DEFAULT_MODE;
        }
        try {
            return Mode.valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown learning mode '" + name + "'; accepted: "
                    + Arrays.toString(Mode.values()));
        }
    }

    /** The starting policy first, then lean and roomy unless they are the starting one. */
    static List<Strategy> candidates(Policy start) {
        List<Strategy> out = new ArrayList<>();
        out.add(Strategy.of(start.equals(Policy.DEFAULT) ? "default" : "start", start));
        if (!start.equals(Policy.LEAN)) {
            out.add(Strategy.of("lean", Policy.LEAN));
        }
        if (!start.equals(Policy.ROOMY)) {
            out.add(Strategy.of("roomy", Policy.ROOMY));
        }
        return out;
    }

    @Override
    public String description() {
        return "elo: ELO-rated policies, LEARN/FROZEN/CANARY, one learner thread per allocator";
    }
}
