package io.github.multitiercache.spring;

import java.util.Collection;
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
 * <p>A write to one of the frame's caches made from inside the method body (a nested call) is tagged
 * by the frame too, computed from that value.
 */
public final class TagFrame {

    private static final ThreadLocal<@Nullable TagFrame> CURRENT = new ThreadLocal<>();

    private final Set<String> cacheNames;
    private final Function<@Nullable Object, Collection<String>> tagsOf;
    private final long asOfMicros;
    private final @Nullable TagFrame previous;

    private TagFrame(Set<String> cacheNames, Function<@Nullable Object, Collection<String>> tagsOf, long asOfMicros,
            @Nullable TagFrame previous) {
        this.cacheNames = cacheNames;
        this.tagsOf = tagsOf;
        this.asOfMicros = asOfMicros;
        this.previous = previous;
    }

    /**
     * Binds a frame to this thread.
     * @param cacheNames the caches whose writes it tags; empty for every cache
     * @param tagsOf the tags of a value ({@code null} for a null); may throw, which keeps the value
     *        out of the cache
     * @param asOfMicros when the call started (its as-of time), from the manager's tag clock
     * @return the frame, to {@link #close()} in a {@code finally}
     */
    public static TagFrame open(Set<String> cacheNames, Function<@Nullable Object, Collection<String>> tagsOf,
            long asOfMicros) {
        TagFrame frame = new TagFrame(Set.copyOf(cacheNames), tagsOf, asOfMicros, CURRENT.get());
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
     * @param cacheName a cache
     * @return the frame of this thread that tags that cache's writes, or {@code null}
     */
    static @Nullable TagFrame of(String cacheName) {
        TagFrame frame = CURRENT.get();
        return (frame != null && (frame.cacheNames.isEmpty() || frame.cacheNames.contains(cacheName))) ? frame : null;
    }

    /** @return the tags of a value */
    Collection<String> tagsOf(@Nullable Object value) {
        return tagsOf.apply(value);
    }

    /** @return when the call started */
    long asOfMicros() {
        return asOfMicros;
    }
}
