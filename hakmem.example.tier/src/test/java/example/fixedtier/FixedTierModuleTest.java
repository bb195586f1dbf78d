package example.fixedtier;

import hakmem.api.spi.TierProvider;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The module is packaged as hakmem's own tiers are: provides the service, exports and opens nothing, works on both paths. */
class FixedTierModuleTest {

    @Test
    void moduleProvidesTheTierAndExportsNothing() throws Exception {
        Module module = FixedTierProvider.class.getModule();
        ModuleDescriptor d = module.getDescriptor();
        assertNotNull(d, "tests run on the module path");
        assertEquals("example.fixedtier", d.name());
        assertFalse(d.isOpen());
        assertTrue(d.exports().isEmpty() && d.opens().isEmpty(), "exports " + d.exports() + ", opens " + d.opens());
        assertEquals(List.of(TierProvider.class.getName()), d.provides().stream().map(ModuleDescriptor.Provides::service).toList());
        assertEquals(List.of(FixedTierProvider.class.getName()), d.provides().iterator().next().providers());
        try (InputStream in = module.getResourceAsStream("META-INF/services/" + TierProvider.class.getName())) {
            assertNotNull(in, "the class path needs the services file");
            assertEquals(FixedTierProvider.class.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8).trim());
        }
    }
}
