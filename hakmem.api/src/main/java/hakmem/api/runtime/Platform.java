package hakmem.api.runtime;

import java.util.Locale;

/**
 * Whether this JVM runs where hakmem can map memory. Kept apart from {@link OsMemory}, whose static
 * initializer links the downcalls: checking here first lets the error reach the caller as it is, not
 * wrapped in an ExceptionInInitializerError.
 */
public final class Platform {

    private Platform() {
    }

    /** Throws {@link UnsupportedOperationException} naming this platform unless it is Linux on x86_64 or aarch64. */
    public static void check() {
        check(System.getProperty("os.name", "?"), System.getProperty("os.arch", "?"));
    }

    static void check(String os, String arch) {
        String a = arch.toLowerCase(Locale.ROOT);
        if (!os.startsWith("Linux") || !(a.equals("amd64") || a.equals("x86_64") || a.equals("aarch64"))) {
            throw new UnsupportedOperationException(
                    "hakmem maps memory with Linux mmap on x86_64 or aarch64; this JVM runs on " + os + "/" + arch);
        }
    }
}
