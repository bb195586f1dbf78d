package hakmem.tck;

import org.junit.jupiter.api.Test;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Requires;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kit's module: exports its one package, opens nothing, and passes hakmem.api and jqwik's API on to its users. */
class KitModuleTest {

    @Test
    void exportsTheKitAndRequiresTheApiAndJqwikTransitively() throws Exception {
        // The kit's own tests run on the class path: read the descriptor from its compiled classes.
        Path classes = Path.of(TierCoreContract.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ModuleDescriptor d = ModuleFinder.of(classes).find("hakmem.tck").orElseThrow().descriptor();
        assertFalse(d.isOpen());
        assertTrue(d.opens().isEmpty());
        assertEquals(Set.of("hakmem.tck"), d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
        assertTrue(d.exports().stream().noneMatch(ModuleDescriptor.Exports::isQualified));
        Set<String> transitive = d.requires().stream().filter(r -> r.modifiers().contains(Requires.Modifier.TRANSITIVE))
                .map(Requires::name).collect(Collectors.toSet());
        assertEquals(Set.of("hakmem.api", "net.jqwik.api"), transitive);
        assertTrue(d.provides().isEmpty() && d.uses().isEmpty());
    }
}
