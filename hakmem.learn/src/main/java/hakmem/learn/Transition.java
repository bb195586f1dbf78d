package hakmem.learn;

/**
 * One change of the engine's state, kept so stats and tests can say why the engine did what it did.
 *
 * @param from    the state left
 * @param to      the state entered
 * @param reason  what triggered it, with the numbers it was decided on
 * @param atNanos the engine's clock when it happened
 */
record Transition(Evolution.State from, Evolution.State to, String reason, long atNanos) {

    Transition {
        if (from == null || to == null) {
            throw new IllegalArgumentException("states must not be null: " + from + " -> " + to);
        }
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("a transition needs a reason: " + (reason == null ? null : '"' + reason + '"'));
        }
    }
}
