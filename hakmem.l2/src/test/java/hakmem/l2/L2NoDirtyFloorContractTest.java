package hakmem.l2;

import hakmem.api.spi.TierProvider;

/**
 * The contract again on cores with no dirty floor: free pages beyond an eighth of what a core holds are
 * discarded at once, so the kit's chunk source sees many discards and checks none touches a live block.
 */
class L2NoDirtyFloorContractTest extends L2ContractTest {

    @Override
    protected TierProvider provider() {
        return L2CoreProperties.withDirtyFloor(0);
    }
}
