package hakmem.api.spi;

/**
 * A learning engine. At most one is used per allocator: the only one found, or the one handed to
 * {@code Hakmem.builder().learnerProviders(...)}; several found is an error naming them all.
 * The learner runs off the hot path (its own daemon thread) and steers the allocator only through
 * {@link LearnerContext#publish(Policy)}.
 *
 * <p>A learner that keeps little memory while the allocator idles: once a second it looks at the bytes
 * mapped, and publishes {@link Policy#LEAN} when nothing new was mapped, {@link Policy#DEFAULT} otherwise.
 * {@snippet :
 * public final class IdleLearnerProvider implements LearnerProvider {
 *     @Override
 *     public String id() {
 *         return "idle";
 *     }
 *
 *     @Override
 *     public Learner start(LearnerContext context) {
 *         ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
 *                 r -> Thread.ofPlatform().daemon().name("hakmem-idle-learner").unstarted(r));
 *         long[] mapped = {context.bytesMapped()};
 *         timer.scheduleAtFixedRate(() -> {
 *             long now = context.bytesMapped();
 *             context.publish(now == mapped[0] ? Policy.LEAN : Policy.DEFAULT);
 *             mapped[0] = now;
 *         }, 1, 1, TimeUnit.SECONDS);
 *         return new Learner() {
 *             @Override
 *             public String state() {
 *                 return "idle " + context.policy();
 *             }
 *
 *             @Override
 *             public void close() {
 *                 timer.shutdownNow();
 *             }
 *         };
 *     }
 * }
 * }
 * Its module declares {@code provides hakmem.api.spi.LearnerProvider with ...IdleLearnerProvider}; a test
 * hands it in directly with {@code Hakmem.builder().learnerProviders(List.of(new IdleLearnerProvider()))}.
 */
public interface LearnerProvider {

    /** Stable id, e.g. {@code "elo"}. */
    String id();

    /** Starts a learner for one allocator; it runs until {@link Learner#close()}. */
    Learner start(LearnerContext context);

    /** One line for diagnostics. */
    default String description() {
        return id();
    }
}
