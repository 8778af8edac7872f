package io.github.multitiercache.spring;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;

/**
 * The tags of the value a tagged {@code @MultiTierCacheable} method is computing, bound to the
 * calling thread for the duration of the call: Spring's cache interceptor then writes the value
 * through {@link MultiTierCache#put(Object, Object)} or {@link MultiTierCache#get(Object,
 * java.util.concurrent.Callable)}, which take its tags from here. Pushed by an advisor ordered just
 * outside Spring's cache advisor, restored after the call (frames nest).
 *
 * <p>A method returning a {@code CompletableFuture}, a {@code Mono} or a {@code Flux} has its value
 * written after the call returned, on whatever thread completes it. For those the cache reads the
 * frame on the calling thread: {@link MultiTierCache#retrieve(Object, java.util.function.Supplier)}
 * hands its tag function to the load, and a miss of {@link MultiTierCache#retrieve(Object)} records
 * the frame as pending for the key, for the later {@code put} of the key on any thread. A pending
 * record lasts until the frame is {@linkplain #release() released}, which the advisor does once the
 * call's future or publisher has terminated (after Spring's put).
 *
 * <p>A write to one of the frame's caches made from inside the method body (a nested call) is tagged
 * by the frame too, computed from that value.
 */
public final class TagFrame {

    private static final ThreadLocal<@Nullable TagFrame> CURRENT = new ThreadLocal<>();

    private final Set<String> cacheNames;
    private final Function<@Nullable Object, Collection<String>> tagsOf;
    private final long asOfMicros;
    private final Object source;
    private final Function<String, @Nullable MultiTierCache> caches;
    private final @Nullable TagFrame previous;
    // What to undo once the call has ended: the pending records made for it; null once released.
    private @Nullable List<Runnable> releases = new ArrayList<>(1);

    private TagFrame(Set<String> cacheNames, Function<@Nullable Object, Collection<String>> tagsOf, long asOfMicros,
            Object source, Function<String, @Nullable MultiTierCache> caches, @Nullable TagFrame previous) {
        this.cacheNames = cacheNames;
        this.tagsOf = tagsOf;
        this.asOfMicros = asOfMicros;
        this.source = source;
        this.caches = caches;
        this.previous = previous;
    }

    /**
     * Binds a frame to this thread.
     * @param cacheNames the caches whose writes it tags; empty for every cache
     * @param tagsOf the tags of a value ({@code null} for a null); may throw, which keeps the value
     *        out of the cache
     * @param asOfMicros when the call started (its as-of time), from the manager's tag clock
     * @param source equal for frames whose {@code tagsOf} give the same tags to the same value (the
     *        method and its arguments), so that concurrent calls for one key compute the tags once
     * @param caches finds a cache of the manager by name ({@link MultiTierCacheManager#getCache}): a
     *        miss in one of the frame's caches records the call as pending in each (Spring asks only
     *        the first cache, and puts into all)
     * @return the frame, to {@link #close()} in a {@code finally}, then to {@link #release()} when
     *         the call has ended
     */
    public static TagFrame open(Set<String> cacheNames, Function<@Nullable Object, Collection<String>> tagsOf,
            long asOfMicros, Object source, Function<String, @Nullable MultiTierCache> caches) {
        TagFrame frame = new TagFrame(Set.copyOf(cacheNames), tagsOf, asOfMicros, source, caches, CURRENT.get());
        CURRENT.set(frame);
        return frame;
    }

    /** Unbinds this frame, restoring the one it was opened in. */
    public void close() {
        if (previous != null) {
            CURRENT.set(previous);
        }
        else {
            CURRENT.remove();
        }
    }

    /**
     * The call has ended, its value (if any) written: drops what the caches recorded as pending for
     * it. Called once the method returned a plain value or threw, or once its future completed or its
     * publisher terminated; a record made later is dropped at once.
     */
    public void release() {
        List<Runnable> done;
        synchronized (this) {
            done = releases;
            releases = null;
        }
        if (done != null) {
            done.forEach(Runnable::run);
        }
    }

    /**
     * @param cacheName a cache
     * @return the frame of this thread that tags that cache's writes, or {@code null}
     */
    static @Nullable TagFrame of(String cacheName) {
        TagFrame frame = CURRENT.get();
        return (frame != null && (frame.cacheNames.isEmpty() || frame.cacheNames.contains(cacheName))) ? frame : null;
    }

    /** Runs {@code release} when the call ends, or at once if it has. */
    void onRelease(Runnable release) {
        synchronized (this) {
            if (releases != null) {
                releases.add(release);
                return;
            }
        }
        release.run();
    }

    /** @return the tags of a value */
    Collection<String> tagsOf(@Nullable Object value) {
        return tagsOf.apply(value);
    }

    /** @return when the call started */
    long asOfMicros() {
        return asOfMicros;
    }

    /** @return the frame's caches other than {@code cache} that its call will put into */
    List<MultiTierCache> siblingsOf(MultiTierCache cache) {
        List<MultiTierCache> siblings = new ArrayList<>(cacheNames.size());
        for (String name : cacheNames) {
            MultiTierCache sibling = name.equals(cache.getName()) ? null : caches.apply(name);
            if (sibling != null) {
                siblings.add(sibling);
            }
        }
        return siblings;
    }

    /** @return equal for frames that give a value the same tags */
    Object source() {
        return source;
    }
}
