package hakmem.api.runtime;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Where HotSpot puts the lock word: within 128 bytes of it on either side lie only pad fields, so no
 * other field of the lock, no object header and no neighbouring object shares its cache line or that
 * line's neighbour. Offsets come from {@code sun.misc.Unsafe.objectFieldOffset}, through reflection
 * (JDK 25 warns once on its first use).
 */
class SpinLockLayoutTest {

    /** The fields every lock reads: they share a line. */
    private static final Set<String> HOT = Set.of("state", "wanted");
    /** The fields the lock reads or writes; every other instance field of its class chain is a pad. */
    private static final Set<String> USED = Set.of("state", "wanted", "patienceNanos", "contended", "waitNanos",
            "yields", "sleeps");
    /** Bytes of pads wanted on each side of the hot fields: two 64-byte lines. */
    private static final int PAD = 128;

    /** One instance field, where it lies in the object. */
    private record Slot(Field field, long offset, int size) {
        long end() {
            return offset + size;
        }

        boolean pad() {
            return !USED.contains(field.getName());
        }

        @Override
        public String toString() {
            return field.getDeclaringClass().getSimpleName() + "." + field.getName() + "@" + offset;
        }
    }

    /**
     * Every byte in the {@value #PAD} bytes before the first hot field and in the {@value #PAD} after
     * the last lies in a pad field. Pads declared beside the hot fields in one class fail this: HotSpot
     * puts the ints into the hole after the header, or between the longs.
     */
    @Test
    void onlyPadsLieWithin128BytesOfTheHotFields() throws ReflectiveOperationException {
        List<Slot> slots = slots(SpinLock.class);
        long hotStart = hotStart(slots);
        long hotEnd = hotEnd(slots);
        OptionalLong before = firstUnpadded(slots, hotStart - PAD, hotStart);
        assertTrue(before.isEmpty(), () -> "byte " + before.getAsLong() + " (before the hot fields) is no pad's: "
                + slots);
        OptionalLong after = firstUnpadded(slots, hotEnd, hotEnd + PAD);
        assertTrue(after.isEmpty(), () -> "byte " + after.getAsLong() + " (after the hot fields) is no pad's: "
                + slots);
        assertTrue(hotEnd - hotStart <= 8, "the hot fields lie apart: " + slots);
    }

    /**
     * Each pad class lies on its own side of the hot fields: the fields of the classes above the one
     * that declares them before them, the pads of the classes below after them; the hot fields' own
     * class holds no pad (HotSpot would order them all by size), and there is a pad class on each side.
     */
    @Test
    void superclassPadsLieBeforeTheHotFieldsAndSubclassPadsAfter() throws ReflectiveOperationException {
        List<Slot> slots = slots(SpinLock.class);
        Class<?> hotClass = slots.stream().filter(s -> s.field().getName().equals("state"))
                .findFirst().orElseThrow().field().getDeclaringClass();
        long hotStart = hotStart(slots);
        long hotEnd = hotEnd(slots);
        boolean padAbove = false;
        boolean padBelow = false;
        for (Slot s : slots) {
            Class<?> declaring = s.field().getDeclaringClass();
            if (declaring != hotClass && declaring.isAssignableFrom(hotClass)) {
                padAbove = true;
                assertTrue(s.end() <= hotStart, s + " (a superclass's) lies after the hot fields: " + slots);
            } else if (declaring != hotClass && s.pad()) {
                padBelow = true;
                assertTrue(s.offset() >= hotEnd, s + " (a subclass's) lies before the hot fields: " + slots);
            } else {
                assertFalse(s.pad(), s + " is a pad beside the hot fields in their own class: " + slots);
            }
        }
        assertTrue(padAbove && padBelow, "no pad class on each side of " + hotClass.getSimpleName());
    }

    private static long hotStart(List<Slot> slots) {
        return slots.stream().filter(s -> HOT.contains(s.field().getName()))
                .mapToLong(Slot::offset).min().orElseThrow();
    }

    private static long hotEnd(List<Slot> slots) {
        return slots.stream().filter(s -> HOT.contains(s.field().getName()))
                .mapToLong(Slot::end).max().orElseThrow();
    }

    /** The first byte of [from, to) that no pad field covers (before the object: none), if any. */
    private static OptionalLong firstUnpadded(List<Slot> slots, long from, long to) {
        for (long b = from; b < to; b++) {
            long at = b;
            if (slots.stream().noneMatch(s -> s.pad() && s.offset() <= at && at < s.end())) {
                return OptionalLong.of(b);
            }
        }
        return OptionalLong.empty();
    }

    /** The instance fields of {@code type} and its superclasses, by offset. */
    private static List<Slot> slots(Class<?> type) throws ReflectiveOperationException {
        Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
        Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
        theUnsafe.setAccessible(true);
        Object unsafe = theUnsafe.get(null);
        Method objectFieldOffset = unsafeClass.getMethod("objectFieldOffset", Field.class);
        int referenceSize = (int) unsafeClass.getMethod("arrayIndexScale", Class.class)
                .invoke(unsafe, Object[].class);
        List<Slot> slots = new ArrayList<>();
        for (Class<?> c = type; c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers())) {
                    long offset = (long) objectFieldOffset.invoke(unsafe, f);
                    slots.add(new Slot(f, offset, size(f.getType(), referenceSize)));
                }
            }
        }
        slots.sort(Comparator.comparingLong(Slot::offset));
        return slots;
    }

    private static int size(Class<?> type, int referenceSize) {
        if (type == long.class || type == double.class) {
            return 8;
        } else if (type == int.class || type == float.class) {
            return 4;
        } else if (type == short.class || type == char.class) {
            return 2;
        } else if (type == byte.class || type == boolean.class) {
            return 1;
        }
        return referenceSize;
    }
}
