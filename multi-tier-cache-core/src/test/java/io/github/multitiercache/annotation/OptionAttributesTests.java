package io.github.multitiercache.annotation;

import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import io.github.multitiercache.annotation.MultiTierCacheable.Toggle;
import io.github.multitiercache.core.CacheOption;
import io.github.multitiercache.core.CacheOptions;
import io.github.multitiercache.core.CacheSettings;
import org.junit.jupiter.api.Test;
import org.springframework.core.annotation.MergedAnnotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/** How {@link MultiTierCacheable}'s attributes map onto the cache options. */
class OptionAttributesTests {

    @Test
    void everyOptionNotDeclaredAbsentIsReadFromItsAttribute() {
        // Sets every option attribute to a value other than its "unset" default, whatever the
        // attributes are: a new option is covered as soon as its attribute exists. Making the
        // mapping also proves that every attribute other than @Cacheable's aliases is an option.
        Map<String, Object> attributes = new LinkedHashMap<>();
        Map<CacheOption<?>, Object> expected = new LinkedHashMap<>();
        for (CacheOption<?> option : CacheSettings.options()) {
            if (OptionAttributes.NOT_ON_THE_ANNOTATION.contains(option)) {
                continue;
            }
            Class<?> type = option.type();
            String name = OptionAttributes.attributeName(option);
            if (type == Boolean.class) {
                attributes.put(name, Toggle.FALSE);
                expected.put(option, false);
            }
            else if (type == Duration.class) {
                attributes.put(name, "7s");
                expected.put(option, Duration.ofSeconds(7));
            }
            else if (type.isEnum()) {
                Object last = type.getEnumConstants()[type.getEnumConstants().length - 1];
                attributes.put(name, last.toString().toLowerCase(Locale.ROOT));
                expected.put(option, last);
            }
            else if (type == Long.class) {
                attributes.put(name, 7L);
                expected.put(option, 7L);
            }
            else if (type == Integer.class) {
                attributes.put(name, 7);
                expected.put(option, 7);
            }
            else {
                attributes.put(name, 0.7);
                expected.put(option, 0.7);
            }
        }
        MultiTierCacheable annotation = MergedAnnotation.of(MultiTierCacheable.class, attributes).synthesize();

        CacheOptions options = OptionAttributes.multiTierCacheable().read(annotation);

        Set<CacheOption<?>> set = new HashSet<>();
        for (CacheOption<?> option : CacheSettings.options()) {
            if (options.get(option) != null) {
                set.add(option);
                assertThat(options.get(option)).as(option.name()).isEqualTo(expected.get(option));
            }
        }
        assertThat(set).isEqualTo(expected.keySet());
        assertThat(set).hasSize(CacheSettings.options().size() - OptionAttributes.NOT_ON_THE_ANNOTATION.size());

        // @CacheableAll carries the same options, read the same way.
        CacheableAll bulk = MergedAnnotation.of(CacheableAll.class, attributes).synthesize();
        CacheOptions bulkOptions = OptionAttributes.cacheableAll().read(bulk);
        for (CacheOption<?> option : CacheSettings.options()) {
            assertThat(bulkOptions.get(option)).as(option.name()).isEqualTo(options.get(option));
        }
    }

    @Test
    void anOptionWithoutAnAttributeFailsTheMapping() {
        assertThatIllegalStateException().isThrownBy(() -> OptionAttributes.of(OnlyL1Enabled.class, Set.of()))
                .withMessageContaining("@OnlyL1Enabled has no attribute l1MaximumSize for the cache option"
                        + " l1.maximum-size");
    }

    @Test
    void anAttributeThatIsNoOptionFailsTheMapping() {
        Set<CacheOption<?>> all = Set.copyOf(CacheSettings.options());
        assertThatIllegalStateException().isThrownBy(() -> OptionAttributes.of(Misspelled.class, all))
                .withMessageContaining("@Misspelled.l1Tll sets no cache option");
    }

    @Test
    void anAttributeOfAnotherTypeThanItsOptionFailsTheMapping() {
        Set<CacheOption<?>> allButL1Ttl = new HashSet<>(CacheSettings.options());
        allButL1Ttl.remove(CacheSettings.L1_TTL);
        assertThatIllegalStateException().isThrownBy(() -> OptionAttributes.of(NumericTtl.class, allButL1Ttl))
                .withMessageContaining("@NumericTtl.l1Ttl is a int, which cannot set the cache option l1.ttl");
    }

    @Test
    void attributeNamesAreTheOptionNamesInCamelCase() {
        assertThat(OptionAttributes.attributeName(CacheSettings.HOT_KEYS_L1_TTL)).isEqualTo("hotKeysL1Ttl");
        assertThat(OptionAttributes.attributeName(CacheSettings.CACHE_NULL_VALUES)).isEqualTo("cacheNullValues");
        assertThat(OptionAttributes.attributeName(CacheSettings.L1_MAXIMUM_SIZE)).isEqualTo("l1MaximumSize");
    }

    @Retention(RetentionPolicy.RUNTIME)
    @interface OnlyL1Enabled {
        Toggle l1Enabled() default Toggle.DEFAULT;
    }

    @Retention(RetentionPolicy.RUNTIME)
    @interface Misspelled {
        String l1Tll() default "";
    }

    @Retention(RetentionPolicy.RUNTIME)
    @interface NumericTtl {
        int l1Ttl() default -1;
    }
}
