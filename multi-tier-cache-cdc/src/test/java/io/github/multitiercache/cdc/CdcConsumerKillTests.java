package io.github.multitiercache.cdc;

import static io.github.multitiercache.cdc.CdcTestApp.createTable;
import static io.github.multitiercache.cdc.CdcTestApp.execute;
import static io.github.multitiercache.cdc.CdcTestApp.sleep;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.github.multitiercache.testsupport.PostgresServer;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The lease holder's JVM killed ({@code SIGKILL}) in the middle of a batch, with no chance to release
 * its lease or store its offsets: another instance takes over once the lease runs out, replays the
 * batch that was cut, and every change made before, during and after the kill is evicted.
 */
class CdcConsumerKillTests {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final List<AutoCloseable> resources = new ArrayList<>();

    private final List<String> childOutput = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopEverything() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    @Test
    void whenTheHoldersJvmIsKilledMidBatchAnotherInstanceTakesOverReplaysTheBatchAndNoChangeIsLost()
            throws Exception {
        PostgresServer postgres = PostgresServer.start();
        resources.add(postgres);
        RedisServer redis = RedisServer.start();
        resources.add(redis);
        String name = "killed";
        int changes = 120;
        int blockedAt = 40;
        // Change i renames row i from p<i> to v<i>: the tag v:v<i> comes from change i alone.
        createTable(postgres, name, changes);
        List<String> properties = CdcTestApp.properties(redis, postgres, name);
        properties.add("multi-tier-cache.cdc.tables[public." + name + "].tags[3]=v:#{name}");

        Process child = startChild(properties, "v:v" + blockedAt);
        await().atMost(WAIT).until(() -> childOutput.contains("STREAMING"));
        ConfigurableApplicationContext b = CdcTestApp.start(properties);
        resources.add(b);
        CdcConsumer consumerB = b.getBean(CdcConsumer.class);
        assertThat(consumerB.status().leaseHolder()).isFalse();
        List<String> tagsOfB = b.getBean(CdcTestApp.RecordingTagEvictor.class).tags;

        Thread writer = new Thread(() -> {
            for (int i = 1; i <= changes; i++) {
                execute(postgres, "UPDATE " + name + " SET name = 'v" + i + "' WHERE id = " + i);
                sleep(10);
            }
        });
        writer.start();
        await().atMost(WAIT).until(() -> childOutput.contains("BLOCKED"));
        // Stuck in the batch for a while (later changes arrive meanwhile), then killed.
        sleep(1_000);
        child.destroyForcibly();
        assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
        writer.join();

        await().atMost(WAIT).until(() -> consumerB.status().leaseHolder());
        List<String> tagsOfChild = childOutput.stream().filter(line -> line.startsWith("TAG "))
                .map(line -> line.substring(4)).toList();
        assertThat(tagsOfChild).as("the killed holder consumed the start of the stream").contains("v:v1")
                .doesNotContain("v:v" + blockedAt);
        await().atMost(WAIT).untilAsserted(() -> {
            Set<String> evicted = new HashSet<>(tagsOfChild);
            evicted.addAll(tagsOfB);
            for (int i = 1; i <= changes; i++) {
                assertThat(evicted).as("change " + i).contains("v:v" + i);
            }
        });
        assertThat(tagsOfB).as("the batch cut by the kill is replayed by the new holder").contains("v:v" + blockedAt);
        assertThat(tagsOfB).as("what the killed holder had marked processed is not replayed").doesNotContain("v:v1");
    }

    private Process startChild(List<String> properties, String blockOn) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dblock-on=" + blockOn, "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), CdcChildInstance.class.getName()));
        properties.forEach(property -> command.add("--" + property));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        resources.add(() -> {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        });
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    childOutput.add(line);
                }
            } catch (IOException e) {
                // the process is gone
            }
        }, "cdc-child-output");
        reader.setDaemon(true);
        reader.start();
        return process;
    }
}
