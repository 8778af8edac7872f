package io.github.multitiercache.cdc;

import java.util.Collection;
import java.util.List;

import io.github.multitiercache.spring.MultiTierCacheManager;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;

/**
 * One service instance in a JVM of its own, so that a test can kill it ({@code SIGKILL}) in the middle
 * of a batch. Its arguments are the application's properties. It prints {@code STREAMING} once it
 * holds the lease and reads the stream, {@code TAG <tag>} for each tag it evicted, and
 * {@code BLOCKED} when a batch carries the tag named by the system property {@code block-on}: that
 * batch's keys are evicted, its tags never are, and its offsets are never stored.
 */
public final class CdcChildInstance {

    private CdcChildInstance() {
    }

    public static void main(String[] args) throws InterruptedException {
        ConfigurableApplicationContext context = new SpringApplicationBuilder(CdcTestApp.class, Blocking.class)
                .web(WebApplicationType.NONE)
                .properties(args)
                .run();
        CdcConsumer consumer = context.getBean(CdcConsumer.class);
        while (!"STREAMING".equals(consumer.status().state())) {
            Thread.sleep(20);
        }
        System.out.println("STREAMING");
        System.out.flush();
        Thread.currentThread().join();
    }

    /** Evicts tags through the cache manager, and blocks for ever on the batch carrying {@code block-on}. */
    @Configuration(proxyBeanMethods = false)
    static class Blocking {

        @Bean
        @Primary
        CdcTagEvictor blockingTagEvictor(MultiTierCacheManager cacheManager) {
            String blockOn = System.getProperty("block-on", "");
            return (Collection<String> tags) -> {
                if (tags.contains(blockOn)) {
                    System.out.println("BLOCKED");
                    System.out.flush();
                    try {
                        Thread.sleep(Long.MAX_VALUE);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while blocked", e);
                    }
                }
                cacheManager.evictTags(List.copyOf(tags));
                for (String tag : tags) {
                    System.out.println("TAG " + tag);
                }
                System.out.flush();
            };
        }
    }
}
