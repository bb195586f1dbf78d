package hakmem.l25;

import hakmem.api.spi.TierProvider;

/**
 * The contract again on cores that cache no freed block and keep no free page undiscarded beyond an
 * eighth of what they hold: every free goes back to its chunk, and the kit's chunk source checks the
 * many discards that follow never touch a live block.
 */
class L25NoCacheContractTest extends L25ContractTest {

    @Override
    protected TierProvider provider() {
        return L25CoreProperties.withBudgets(0, 0);
    }
}
