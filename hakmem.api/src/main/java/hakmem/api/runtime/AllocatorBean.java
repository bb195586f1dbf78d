package hakmem.api.runtime;

import hakmem.api.Allocator;
import hakmem.api.AllocatorMXBean;
import hakmem.api.AllocatorStats;

import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An allocator's {@link AllocatorMXBean}, registered with the platform MBean server under
 * {@code hakmem:type=Allocator,name=<name>} until the allocator closes. The server holds the bean and the
 * bean its allocator, so a registered allocator stays reachable until {@code close()}, as any
 * registered MBean does. Loaded only when JMX is asked for: an allocator without it never touches
 * {@code java.management}.
 */
public final class AllocatorBean implements AllocatorMXBean {

    /** Default names {@code hakmem-1}, {@code hakmem-2}, ... in build order, never reused in this JVM. */
    private static final AtomicInteger NEXT_NAME = new AtomicInteger(1);
    private static final String ILLEGAL = ",=:\"*?\n";

    private final Allocator allocator;
    private final String name;
    private final ObjectName objectName;

    private AllocatorBean(Allocator allocator, String name) {
        this.allocator = allocator;
        this.name = name;
        this.objectName = objectName(name);
    }

    /**
     * The object name for {@code name}; a name JMX would need quoted is rejected rather than quoted, so
     * that a tool looks the allocator up by the name as given.
     *
     * @throws IllegalArgumentException if the name is blank or holds one of {@code , = : " * ?} or a line break
     */
    public static ObjectName objectName(String name) {
        if (name == null || name.isBlank() || name.chars().anyMatch(ch -> ILLEGAL.indexOf(ch) >= 0)) {
            throw new IllegalArgumentException("an allocator's name must be non-blank, without , = : \" * ? "
                    + "or line breaks (it goes into a JMX ObjectName): '" + name + "'");
        }
        try {
            return new ObjectName("hakmem:type=Allocator,name=" + name);
        } catch (MalformedObjectNameException e) {
            throw new IllegalArgumentException("not usable in a JMX ObjectName: '" + name + "'", e);
        }
    }

    /**
     * Registers {@code allocator} under {@code name}, or under the next free default name when
     * {@code name} is null.
     *
     * @throws IllegalArgumentException if an MBean of that name is registered already
     */
    static AllocatorBean register(Allocator allocator, String name) {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        while (true) {
            AllocatorBean bean = new AllocatorBean(allocator, name != null ? name : "hakmem-" + NEXT_NAME.getAndIncrement());
            try {
                server.registerMBean(bean, bean.objectName);
                return bean;
            } catch (InstanceAlreadyExistsException e) {
                if (name != null) {
                    throw new IllegalArgumentException("an allocator named '" + name + "' is registered with JMX already ("
                            + bean.objectName + "): choose another name, or close that allocator first", e);
                }
                // A default name someone gave explicitly (or another copy of hakmem in this JVM): take the next.
            } catch (JMException e) {
                throw new IllegalStateException("could not register " + bean.objectName + " with JMX", e);
            }
        }
    }

    /** Unregisters the bean; never throws, since it runs while the allocator closes. */
    void unregister() {
        try {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(objectName);
        } catch (InstanceNotFoundException gone) {
            // unregistered by someone else already: nothing left to do
        } catch (JMException | RuntimeException e) {
            System.getLogger("hakmem").log(System.Logger.Level.WARNING, "could not unregister " + objectName, e);
        }
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    public String getConcurrency() {
        return stats().concurrency().name();
    }

    @Override
    public long getReservedBytes() {
        return stats().reservedBytes();
    }

    @Override
    public long getRetainedBytes() {
        return stats().retainedBytes();
    }

    @Override
    public long getMemoryLimit() {
        return stats().memoryLimit();
    }

    @Override
    public long getLiveBlocks() {
        return stats().liveBlocks();
    }

    @Override
    public long getLiveBytes() {
        return stats().liveBytes();
    }

    @Override
    public long getAllocations() {
        return stats().allocations();
    }

    @Override
    public long getFrees() {
        return stats().frees();
    }

    @Override
    public double getCacheHitRate() {
        return stats().caches().hitRate();
    }

    @Override
    public long getCachedBytes() {
        return stats().caches().cachedBytes();
    }

    @Override
    public String getLearner() {
        return stats().learner();
    }

    @Override
    public String getReport() {
        return stats().report();
    }

    @Override
    public void trim() {
        allocator.trim();
    }

    private AllocatorStats stats() {
        return allocator.stats();
    }
}
