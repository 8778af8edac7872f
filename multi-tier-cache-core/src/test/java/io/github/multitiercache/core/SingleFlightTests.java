package io.github.multitiercache.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class SingleFlightTests {

    private final SingleFlight flights = new SingleFlight();

    @Test
    void concurrentCallersForOneKeyShareOneLoad() throws Exception {
        AtomicInteger loads = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(32);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                results.add(pool.submit(() -> flights.execute("k", () -> {
                    loads.incrementAndGet();
                    release.await(5, TimeUnit.SECONDS);
                    return "v";
                })));
            }
            // Let every caller reach the flight before the load finishes.
            Thread.sleep(200);
            release.countDown();
            for (Future<String> result : results) {
                assertThat(result.get(5, TimeUnit.SECONDS)).isEqualTo("v");
            }
            assertThat(loads).hasValue(1);
            assertThat(flights.inFlight()).isZero();
        }
        finally {
            pool.shutdownNow();
        }
    }

    @Test
    void followersReceiveTheLeadersFailure() throws Exception {
        CountDownLatch leaderStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Object> leader = pool.submit(() -> flights.execute("k", () -> {
                leaderStarted.countDown();
                release.await(5, TimeUnit.SECONDS);
                throw new IllegalStateException("boom");
            }));
            leaderStarted.await(5, TimeUnit.SECONDS);
            Future<Object> follower = pool.submit(() -> flights.execute("k", () -> "never"));
            Thread.sleep(100);
            release.countDown();
            assertThat(leader).failsWithin(5, TimeUnit.SECONDS).withThrowableOfType(Exception.class)
                    .havingRootCause().withMessage("boom");
            assertThat(follower).failsWithin(5, TimeUnit.SECONDS).withThrowableOfType(Exception.class)
                    .havingRootCause().withMessage("boom");
        }
        finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aLoadOfItsOwnKeyIsRefusedInsteadOfDeadlocking() {
        assertThatIllegalStateException()
                .isThrownBy(() -> flights.execute("k", () -> flights.execute("k", () -> "inner")))
                .withMessageContaining("Recursive load");
    }

    @Test
    void differentKeysLoadIndependently() throws Exception {
        String result = flights.execute("a", () -> flights.execute("b", () -> "b"));
        assertThat(result).isEqualTo("b");
    }
}
