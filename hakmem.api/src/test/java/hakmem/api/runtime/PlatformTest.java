package hakmem.api.runtime;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlatformTest {

    @Test
    void otherPlatformsAreRefusedNamingThem() {
        var e = assertThrows(UnsupportedOperationException.class, () -> Platform.check("Mac OS X", "aarch64"));
        assertTrue(e.getMessage().contains("Mac OS X/aarch64"), e.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> Platform.check("Linux", "riscv64"));
        assertDoesNotThrow(() -> Platform.check("Linux", "amd64"));
        assertDoesNotThrow(() -> Platform.check("Linux", "aarch64"));
    }
}
