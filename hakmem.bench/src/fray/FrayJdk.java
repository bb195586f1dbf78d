import java.io.IOException;
import java.io.OutputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.attribute.ModuleAttribute;
import java.lang.classfile.attribute.ModuleRequireInfo;
import java.lang.constant.ModuleDesc;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/**
 * Makes the "JDK" Fray's prepare-fray goal jlinks its instrumented JDK from, out of the JDK running this
 * file (java FrayJdk.java DIR). Fray 0.9.2 runs DIR/bin/jlink --module-path=DIR/jmods
 * --add-modules=ALL-MODULE-PATH, which needs the JDK's packaged modules in DIR/jmods; JDKs built with
 * JEP 493 (Temurin 25 among them) ship none and link from their own run-time image instead. So DIR/bin
 * links to this JDK's bin, and DIR/jmods holds one modular jar, module fray.jdk, that requires every
 * system module jlink may take from a run-time image (not jdk.jlink nor what needs it): ALL-MODULE-PATH
 * then resolves to all of them, taken from the run-time image, plus this empty module.
 */
public class FrayJdk {
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]).toAbsolutePath();
        Path home = Path.of(System.getProperty("java.home"));
        Files.createDirectories(dir);
        Path bin = dir.resolve("bin");
        Files.deleteIfExists(bin);
        Files.createSymbolicLink(bin, home.resolve("bin"));

        Set<ModuleReference> system = ModuleFinder.ofSystem().findAll();
        Set<String> excluded = new HashSet<>(Set.of("jdk.jlink"));
        for (boolean grew = true; grew; ) {
            grew = false;
            for (ModuleReference m : system) {
                ModuleDescriptor d = m.descriptor();
                if (!excluded.contains(d.name())
                        && d.requires().stream().anyMatch(r -> excluded.contains(r.name()))) {
                    grew = excluded.add(d.name());
                }
            }
        }
        List<ModuleRequireInfo> requires = new ArrayList<>();
        system.stream().map(m -> m.descriptor().name()).filter(n -> !excluded.contains(n)).sorted()
                .forEach(n -> requires.add(ModuleRequireInfo.of(ModuleDesc.of(n), 0, null)));
        byte[] moduleInfo = ClassFile.of().buildModule(ModuleAttribute.of(ModuleDesc.of("fray.jdk"),
                b -> requires.forEach(b::requires)));

        Path jmods = Files.createDirectories(dir.resolve("jmods"));
        try (OutputStream out = Files.newOutputStream(jmods.resolve("fray.jdk.jar")); JarOutputStream jar = new JarOutputStream(out)) {
            jar.putNextEntry(new JarEntry("module-info.class"));
            jar.write(moduleInfo);
            jar.closeEntry();
        }
        System.out.println("Fray's JDK source: " + dir + " (" + requires.size() + " modules of " + home
                + "; left out " + excluded + ")");
    }
}
