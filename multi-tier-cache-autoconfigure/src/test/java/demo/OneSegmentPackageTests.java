package demo;

import io.github.multitiercache.autoconfigure.MultiTierCacheAutoConfiguration;
import io.github.multitiercache.core.codec.JsonValueSerializer;
import io.github.multitiercache.spring.MultiTierCache;
import io.github.multitiercache.spring.MultiTierCacheManager;
import io.github.multitiercache.testsupport.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.AutoConfigurationPackages;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.serializer.RedisSerializer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An application whose code lives in a one-segment package ({@code package demo;}) starts, and
 * its values travel through Redis; one in the default package starts with a warning that names
 * the property to set.
 */
@ExtendWith(OutputCaptureExtension.class)
class OneSegmentPackageTests {

    private static final RedisServer redis = RedisServer.shared();

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataRedisAutoConfiguration.class,
                    MultiTierCacheAutoConfiguration.class, CacheAutoConfiguration.class))
            .withPropertyValues("spring.data.redis.host=" + redis.host(), "spring.data.redis.port=" + redis.port(),
                    "multi-tier-cache.key-prefix=one-segment");

    @Test
    void applicationInAOneSegmentPackageStartsAndItsValuesRoundTripThroughRedis() {
        contextRunner.withUserConfiguration(DemoApplication.class).run(context -> {
            assertThat(context).hasNotFailed();
            JsonValueSerializer serializer = context.getBean(MultiTierCacheAutoConfiguration.VALUE_SERIALIZER_BEAN_NAME,
                    JsonValueSerializer.class);
            assertThat(serializer.allowList().packagePrefixes()).containsExactly("demo.");

            MultiTierCacheManager manager = context.getBean(MultiTierCacheManager.class);
            MultiTierCache books = manager.getCache("books");
            books.put("1", new Book("Dune", 412));
            assertThat(redis.command("EXISTS", "one-segment:books:1")).as("written to Redis").isEqualTo(1L);
            manager.clearLocal();
            assertThat(books.get("1", Book.class)).as("read back from Redis").isEqualTo(new Book("Dune", 412));
        });
    }

    @Test
    void configuredPrefixesStillNeedTwoSegments() {
        contextRunner.withUserConfiguration(DemoApplication.class)
                .withPropertyValues("multi-tier-cache.serialization.allowed-packages=com")
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("Allowed package prefix 'com' must be a package name of at least two"
                                + " segments"));
    }

    @Test
    void applicationInTheDefaultPackageStartsWithOneWarningNamingTheProperty(CapturedOutput output) {
        contextRunner.withUserConfiguration(CachingOnly.class)
                .withInitializer(context -> AutoConfigurationPackages
                        .register((BeanDefinitionRegistry) context.getBeanFactory(), ""))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    @SuppressWarnings("unchecked")
                    RedisSerializer<Object> serializer = context.getBean(
                            MultiTierCacheAutoConfiguration.VALUE_SERIALIZER_BEAN_NAME, RedisSerializer.class);
                    assertThat(((JsonValueSerializer) serializer).allowList().packagePrefixes()).isEmpty();
                    assertThat(output.getAll().lines()
                            .filter(line -> line.contains("multi-tier-cache.serialization.allowed-packages")))
                            .singleElement().asString().contains("WARN").contains("default package");
                });
    }

    /** A value type of the application. */
    public record Book(String title, int pages) {
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage
    @EnableCaching
    static class DemoApplication {
    }

    @Configuration(proxyBeanMethods = false)
    @EnableCaching
    static class CachingOnly {
    }
}
