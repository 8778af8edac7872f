package io.github.multitiercache.spring;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

import org.jspecify.annotations.Nullable;

/**
 * The tagged calls of one cache whose value is still to be put: a {@code @MultiTierCacheable}
 * method returning a {@code CompletableFuture}, {@code Mono} or {@code Flux} that does not load
 * through the cache (with {@code unless}, several caches, or load-through off) looks its key up with
 * {@code Cache.retrieve(key)} on the calling thread, where its {@link TagFrame} is bound, and on a
 * miss Spring puts the value once it completes, on whatever thread completes it. The miss records
 * the frame here (and in the method's other caches); the put, on any thread, takes the tags from
 * the record.
 *
 * <ul>
 * <li><b>Lifetime.</b> A record lasts until its frame is released: once the call's future or
 * publisher terminated, after Spring's put. A record that is never released (a {@code Mono} never
 * subscribed, a cancelled {@code Flux}) stays in use, and may be dropped to make room once no call
 * of its key was recorded for {@value #MAX_AGE_MINUTES} minutes.</li>
 * <li><b>Concurrent calls for one key</b> (each runs the method on this path) share the
 * record: a put made while several are pending carries the union of their tags (computed once per
 * distinct method and arguments) and the <em>earliest</em> of their start times, since the put
 * cannot tell which call it ends: a value whose computation began before an eviction is never
 * served after it, and a value that is in fact fresher may be dropped (a load more). A released
 * call no longer counts: its put came before its release.</li>
 * <li><b>Bound.</b> At most {@value #MAX_CALLS} calls are pending per cache. Beyond, records that
 * are too old are dropped; if none is, the call is not recorded and, until it ends, every put to
 * the cache without a record or a frame is stored not servable (logged): a miss, never a value
 * without the tags it should carry.</li>
 * </ul>
 * A plain {@code put} of a key while a tagged call of that key is pending carries the call's tags
 * too: more evictions drop it, never fewer.
 */
final class PendingTags {

    /** How many calls may be pending per cache. */
    static final int MAX_CALLS = 10_000;
    /** How long after its last call a record may be dropped to make room. */
    static final long MAX_AGE_MINUTES = 10;

    private static final long MAX_AGE_NANOS = TimeUnit.MINUTES.toNanos(MAX_AGE_MINUTES);

    private final Map<Object, Calls> byKey = new ConcurrentHashMap<>();
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private final LongSupplier nanoClock;

    /** @param nanoClock the time of records, {@link System#nanoTime()} outside tests */
    PendingTags(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /**
     * Records that {@code frame}'s call missed {@code key} and will put its value, until the frame
     * is released.
     * @return {@code false} when the cache has too many pending calls (see the class comment)
     */
    boolean register(Object key, TagFrame frame) {
        long now = nanoClock.getAsLong();
        if (calls.incrementAndGet() > MAX_CALLS && !dropOld(now)) {
            calls.decrementAndGet();
            refused.incrementAndGet();
            frame.onRelease(refused::decrementAndGet);
            return false;
        }
        byKey.compute(key, (k, pending) -> (pending == null) ? Calls.of(frame, now) : pending.with(frame, now));
        frame.onRelease(() -> release(key, frame));
        return true;
    }

    /**
     * @param key a key being put without a frame on the putting thread, or with {@code frame}
     * @param frame the frame of the putting thread, or {@code null}
     * @return the tags the value must carry: the frame's and those of the calls pending for the key;
     *         {@code null} when it carries none
     */
    @Nullable PutTags of(Object key, @Nullable TagFrame frame) {
        Calls pending = byKey.isEmpty() ? null : byKey.get(key);
        if (pending == null) {
            if (frame != null) {
                return new PutTags(List.of(frame), frame.asOfMicros(), false);
            }
            return (refused.get() > 0) ? new PutTags(List.of(), 0, true) : null;
        }
        if (frame == null || pending.frames().contains(frame)) {
            return new PutTags(pending.frames(), pending.asOfMicros(), false);
        }
        List<TagFrame> frames = new ArrayList<>(pending.frames());
        frames.add(frame);
        return new PutTags(frames, Math.min(pending.asOfMicros(), frame.asOfMicros()), false);
    }

    /** @return how many calls are pending (for tests) */
    int size() {
        return calls.get();
    }

    private void release(Object key, TagFrame frame) {
        byKey.computeIfPresent(key, (k, pending) -> {
            if (!pending.frames().contains(frame)) {
                return pending;
            }
            calls.decrementAndGet();
            return pending.without(frame);
        });
    }

    /** Drops the records too old to be used; @return whether there is room for one more call */
    private boolean dropOld(long now) {
        byKey.forEach((key, pending) -> {
            if (pending.isOld(now) && byKey.remove(key, pending)) {
                calls.addAndGet(-pending.frames().size());
            }
        });
        return calls.get() <= MAX_CALLS;
    }

    /**
     * The tags of a value put while tagged calls are pending.
     * @param frames the frames whose tags it carries
     * @param asOfMicros the earliest of their start times
     * @param unknown the cache had too many pending calls: the value must not be served
     */
    record PutTags(List<TagFrame> frames, long asOfMicros, boolean unknown) {

        /**
         * @return the union of the frames' tags, each distinct source computed once
         * @throws IllegalStateException when the tags are {@link #unknown}, which keeps the value out
         *         of the cache
         */
        Collection<String> tagsOf(@Nullable Object value) {
            if (unknown) {
                throw new IllegalStateException("too many tagged calls pending (" + MAX_CALLS + "): the tags of"
                        + " a value put without its call's frame are not known");
            }
            if (frames.size() == 1) {
                return frames.get(0).tagsOf(value);
            }
            Set<Object> sources = new HashSet<>();
            Set<String> tags = new LinkedHashSet<>();
            for (TagFrame frame : frames) {
                if (sources.add(frame.source())) {
                    tags.addAll(frame.tagsOf(value));
                }
            }
            return tags;
        }
    }

    /** The calls pending for one key: immutable, replaced on each change. */
    private record Calls(List<TagFrame> frames, long asOfMicros, long lastNanos) {

        static Calls of(TagFrame frame, long now) {
            return new Calls(List.of(frame), frame.asOfMicros(), now);
        }

        Calls with(TagFrame frame, long now) {
            List<TagFrame> more = new ArrayList<>(frames.size() + 1);
            more.addAll(frames);
            more.add(frame);
            return new Calls(List.copyOf(more), Math.min(asOfMicros, frame.asOfMicros()), now);
        }

        /**
         * @return the calls without {@code frame}, or {@code null} when none is left; a frame is
         *         released after its call's put, so the earliest start is that of the calls left
         */
        @Nullable Calls without(TagFrame frame) {
            List<TagFrame> rest = new ArrayList<>(frames);
            rest.remove(frame);
            if (rest.isEmpty()) {
                return null;
            }
            long earliest = Long.MAX_VALUE;
            for (TagFrame call : rest) {
                earliest = Math.min(earliest, call.asOfMicros());
            }
            return new Calls(List.copyOf(rest), earliest, lastNanos);
        }

        boolean isOld(long now) {
            return now - lastNanos > MAX_AGE_NANOS;
        }
    }
}
