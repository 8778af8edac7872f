package io.github.multitiercache.benchmarks;

import io.github.multitiercache.testsupport.RedisServer;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A {@code redis-server} of the benchmark's own, on a free loopback port (never 6379), for one
 * trial; and the server-side count of the commands it has executed.
 */
@State(Scope.Benchmark)
public class BenchmarkRedis {

    private RedisServer server;

    /** Starts the server. */
    @Setup(Level.Trial)
    public void start() {
        server = RedisServer.start();
    }

    /** Stops the server and deletes its directory. */
    @TearDown(Level.Trial)
    public void stop() {
        server.close();
    }

    /** @return the running server */
    public RedisServer server() {
        return server;
    }

    /**
     * The number of commands Redis has executed, from {@code INFO commandstats}, not counting the
     * {@code INFO} commands that read it.
     * @return the total of the {@code calls} of every command but {@code info}
     */
    public long commandCalls() {
        long calls = 0;
        for (String line : server.info("commandstats").split("\r?\n")) {
            // cmdstat_get:calls=123,usec=456,...
            if (!line.startsWith("cmdstat_") || line.startsWith("cmdstat_info:")) {
                continue;
            }
            int start = line.indexOf("calls=") + "calls=".length();
            int end = line.indexOf(',', start);
            calls += Long.parseLong(line.substring(start, end));
        }
        return calls;
    }
}
