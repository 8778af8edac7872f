package io.github.multitiercache.core;

import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import io.github.multitiercache.core.stampede.FailSafeSettings;
import io.github.multitiercache.core.stampede.StampedeSettings;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** The option model: {@link CacheOption}, {@link CacheSettings#options()} and {@link CacheOptions}. */
class CacheOptionTests {

    @Test
    void everyOptionSetsExactlyOneComponentAndEveryComponentIsAnOption() {
        CacheSettings defaults = CacheSettings.defaults();
        Set<String> components = new HashSet<>();
        List<String> offenders = new ArrayList<>();
        for (CacheOption<?> option : CacheSettings.options()) {
            CacheSettings changed = withOtherValue(defaults, option);
            List<String> differences = differences("", defaults, changed);
            if (differences.size() != 1) {
                offenders.add(option + " changes " + differences);
            }
            else if (!components.add(differences.get(0))) {
                offenders.add(option + " changes " + differences.get(0) + ", which another option changes too");
            }
        }
        assertThat(offenders).isEmpty();
        assertThat(components).as("record components of CacheSettings without an option")
                .containsExactlyInAnyOrderElementsOf(leafComponents("", CacheSettings.class));
    }

    @Test
    void optionsAreNamedAsTheirPropertiesOncePerName() {
        List<String> names = CacheSettings.options().stream().map(CacheOption::name).toList();
        assertThat(names).doesNotHaveDuplicates().startsWith("l1.enabled", "l1.maximum-size", "l1.ttl")
                .contains("stampede.max-wait", "fail-safe.soft-timeout", "hot-keys.min-reads-per-second");
        assertThat(names).allMatch(name -> name.matches("[a-z0-9]+(-[a-z0-9]+)*(\\.[a-z0-9]+(-[a-z0-9]+)*)?"));
    }

    @Test
    void aPartSetterReplacesEveryOptionOfThePart() {
        StampedeSettings stampede = new StampedeSettings(false, Duration.ofSeconds(3), Duration.ofSeconds(1),
                StampedeSettings.OnTimeout.FAIL);
        CacheSettings settings = CacheSettings.defaults().toBuilder().stampede(stampede).build();
        assertThat(settings.stampede()).isEqualTo(stampede);
        assertThat(CacheSettings.STAMPEDE_MAX_WAIT.get(settings)).isEqualTo(Duration.ofSeconds(1));
        assertThat(settings.toBuilder().build()).isEqualTo(settings);
    }

    @Test
    void valuesAreValidatedWhenBuiltSoThatOptionsMaySetInAnyOrder() {
        // Between the second and the third call, the soft timeout exceeds the hard one.
        CacheSettings.Builder builder = CacheSettings.defaults().toBuilder()
                .set(CacheSettings.FAIL_SAFE_HARD_TIMEOUT, Duration.ofSeconds(1))
                .set(CacheSettings.FAIL_SAFE_SOFT_TIMEOUT, Duration.ofSeconds(5))
                .set(CacheSettings.FAIL_SAFE_HARD_TIMEOUT, Duration.ofSeconds(10));
        assertThat(builder.build().failSafe()).isEqualTo(new FailSafeSettings(false, Duration.ofMinutes(10),
                Duration.ofSeconds(5), Duration.ofSeconds(10)));
        assertThatIllegalArgumentException()
                .isThrownBy(() -> builder.set(CacheSettings.FAIL_SAFE_HARD_TIMEOUT, Duration.ofSeconds(2)).build())
                .withMessageContaining("fail-safe.soft-timeout");
    }

    @Test
    @SuppressWarnings({ "unchecked", "rawtypes" })
    void aValueOfAnotherTypeIsRefusedWhenSet() {
        CacheOption raw = CacheSettings.L1_TTL;
        assertThatExceptionOfType(ClassCastException.class)
                .isThrownBy(() -> CacheSettings.defaults().toBuilder().set(raw, "1m"));
        assertThatExceptionOfType(ClassCastException.class).isThrownBy(() -> CacheOptions.none().with(raw, 60));
        assertThatExceptionOfType(NullPointerException.class)
                .isThrownBy(() -> CacheSettings.defaults().toBuilder().set(CacheSettings.L1_TTL, null))
                .withMessage("l1.ttl");
    }

    @Test
    void partialOptionsCompareByValueAndUnsetWithNull() {
        CacheOptions a = CacheOptions.none().with(CacheSettings.L2_TTL, Duration.ofMinutes(5));
        CacheOptions b = CacheOptions.none().with(CacheSettings.L2_TTL, Duration.ofSeconds(300));
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a.with(CacheSettings.L2_TTL, null)).isEqualTo(CacheOptions.none());
        assertThat(a.with(CacheSettings.L2_TTL, null).isEmpty()).isTrue();
        assertThat(a.with(CacheSettings.STAMPEDE_LEASE, Duration.ofSeconds(1)))
                .hasToString("CacheOptions[l2.ttl=PT5M, stampede.lease=PT1S]");
    }

    @Test
    void conflictsAreListedInTheOrderOfTheOptions() {
        CacheOptions a = CacheOptions.none().with(CacheSettings.HOT_KEYS_REPLICAS, 2)
                .with(CacheSettings.L1_TTL, Duration.ofSeconds(1)).with(CacheSettings.NULL_TTL, Duration.ofSeconds(1));
        CacheOptions b = CacheOptions.none().with(CacheSettings.L1_TTL, Duration.ofSeconds(2))
                .with(CacheSettings.HOT_KEYS_REPLICAS, 4).with(CacheSettings.NULL_TTL, Duration.ofSeconds(1));
        assertThat(a.conflictsWith(b)).containsExactly("l1.ttl (PT1S vs PT2S)", "hot-keys.replicas (2 vs 4)");
    }

    /** The settings with {@code option} set to a valid value other than its current one. */
    private static <T> CacheSettings withOtherValue(CacheSettings settings, CacheOption<T> option) {
        T value = option.get(settings);
        Object other;
        if (value instanceof Boolean flag) {
            other = !flag;
        }
        else if (value instanceof Duration duration) {
            other = duration.plusSeconds(1);
        }
        else if (value instanceof Long number) {
            other = number * 2;
        }
        else if (value instanceof Integer number) {
            other = number * 2;
        }
        else if (value instanceof Double number) {
            other = number / 2;
        }
        else if (value instanceof Enum<?> constant) {
            Object[] constants = constant.getDeclaringClass().getEnumConstants();
            other = constants[(constant.ordinal() + 1) % constants.length];
        }
        else {
            throw new AssertionError(option + " is of a type this test does not know: " + option.type());
        }
        CacheSettings changed = settings.toBuilder().set(option, option.type().cast(other)).build();
        assertThat(option.get(changed)).as(option.name()).isEqualTo(other);
        return changed;
    }

    private static List<String> differences(String path, Record expected, Record actual) {
        List<String> differences = new ArrayList<>();
        for (RecordComponent component : expected.getClass().getRecordComponents()) {
            Object left = value(component, expected);
            Object right = value(component, actual);
            if (left instanceof Record leftRecord && right instanceof Record rightRecord) {
                differences.addAll(differences(path + component.getName() + ".", leftRecord, rightRecord));
            }
            else if (!Objects.equals(left, right)) {
                differences.add(path + component.getName());
            }
        }
        return differences;
    }

    private static List<String> leafComponents(String path, Class<?> type) {
        List<String> leaves = new ArrayList<>();
        for (RecordComponent component : type.getRecordComponents()) {
            if (component.getType().isRecord()) {
                leaves.addAll(leafComponents(path + component.getName() + ".", component.getType()));
            }
            else {
                leaves.add(path + component.getName());
            }
        }
        return leaves;
    }

    private static Object value(RecordComponent component, Record record) {
        try {
            return component.getAccessor().invoke(record);
        }
        catch (ReflectiveOperationException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
