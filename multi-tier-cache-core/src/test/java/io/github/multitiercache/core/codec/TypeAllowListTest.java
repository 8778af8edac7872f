package io.github.multitiercache.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TypeAllowListTest {

    private final TypeAllowList allowList = TypeAllowList.of(List.of("com.example.shop"));

    @Test
    void permitsBuiltInJdkTypesAndClassesUnderPrefixes() {
        assertThat(allowList.permits("java.lang.Long")).isTrue();
        assertThat(allowList.permits("java.util.ImmutableCollections$ListN")).isTrue();
        assertThat(allowList.permits("com.example.shop.Order")).isTrue();
        assertThat(allowList.permits("com.example.shop.sub.Order$Line")).isTrue();

        assertThat(allowList.permits("com.example.shopping.Order")).isFalse();
        assertThat(allowList.permits("java.net.URL")).isFalse();
        assertThat(allowList.permits("java.lang.Object")).isFalse();
        assertThat(allowList.permits("java.lang.Runtime")).isFalse();
    }

    @Test
    void arraysArePermittedByComponentType() {
        assertThat(allowList.permits("[I")).isTrue();
        assertThat(allowList.permits("[[J")).isTrue();
        assertThat(allowList.permits("[Ljava.lang.String;")).isTrue();
        assertThat(allowList.permits("[Ljava.lang.Object;")).isTrue();
        assertThat(allowList.permits("[[Lcom.example.shop.Order;")).isTrue();

        assertThat(allowList.permits("[Ljava.net.URL;")).isFalse();
        assertThat(allowList.permits("[X")).isFalse();
        assertThat(allowList.permits("[Lcom.example.shop.Order")).isFalse();
    }

    @Test
    void findsTheOffendingClassInGenericTypeIds() {
        assertThat(allowList.firstDisallowed("java.util.EnumMap<com.example.shop.Color,java.lang.Object>")).isNull();
        assertThat(allowList.firstDisallowed("java.util.ArrayList<com.evil.Gadget>")).isEqualTo("com.evil.Gadget");
        assertThat(allowList.firstDisallowed("java.lang.Object")).isEqualTo("java.lang.Object");
        assertThat(allowList.firstDisallowed("42")).isNull();
    }

    @Test
    void normalizesAndSortsPrefixes() {
        TypeAllowList list = TypeAllowList.of(Arrays.asList(" org.acme.billing ", "com.example.", "com.example."));

        assertThat(list.packagePrefixes()).containsExactly("com.example.", "org.acme.billing.");
        assertThat(list).isEqualTo(TypeAllowList.of(List.of("org.acme.billing.", "com.example")));
        assertThat(TypeAllowList.of(List.of())).isSameAs(TypeAllowList.jdkTypesOnly());
        assertThat(list.jdkTypes()).isSameAs(TypeAllowList.DEFAULT_JDK_TYPES);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "com", "com.", "java.", "java.net.", "javax.naming", "jdk.internal.",
        "sun.misc.", "com.sun.rowset.", "com..example.", "1com.example.", "com.example.*"})
    void rejectsUnsafeOrMalformedPrefixes(String prefix) {
        assertThatIllegalArgumentException().isThrownBy(() -> TypeAllowList.of(List.of(prefix)));
    }

    @Test
    void applicationPackagesAreAllowedWhateverTheirDepth() {
        TypeAllowList list = TypeAllowList.of(List.of("demo", "com.example.shop"), List.of("org.acme."));
        assertThat(list.packagePrefixes()).containsExactly("com.example.shop.", "demo.", "org.acme.");
        assertThat(list.permits("demo.Book")).isTrue();
        assertThat(list.permits("demo.catalog.Book$Page")).isTrue();
        assertThat(list.permits("demonstration.Book")).isFalse();
    }

    @Test
    void noApplicationPackageAdmitsAJdkNamespace() {
        TypeAllowList list = TypeAllowList.of(List.of("com"), List.of());
        assertThat(list.permits("com.acme.Order")).isTrue();
        assertThat(list.permits("com.sun.rowset.JdbcRowSetImpl")).isFalse();
        assertThat(list.permits("java.lang.String")).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", ".", "demo..x", "1demo", "demo.*", "java.lang", "sun", "jdk.internal"})
    void rejectsMalformedOrJdkApplicationPackages(String pkg) {
        assertThatIllegalArgumentException().isThrownBy(() -> TypeAllowList.of(List.of(pkg), List.of()));
    }

    @Test
    void configuredPrefixesKeepTheTwoSegmentRuleBesideApplicationPackages() {
        assertThatIllegalArgumentException().isThrownBy(() -> TypeAllowList.of(List.of("demo"), List.of("demo")))
                .withMessageContaining("at least two segments");
    }

    @Test
    void rejectsNullPrefix() {
        assertThatIllegalArgumentException().isThrownBy(() -> TypeAllowList.of(Arrays.asList((String) null)));
    }

    @Test
    void defaultJdkTypesHoldNoKnownGadgetNamespaces() {
        assertThat(TypeAllowList.DEFAULT_JDK_TYPES).allSatisfy(name -> assertThat(name)
                .startsWith("java.")
                .doesNotStartWith("java.net.")
                .doesNotStartWith("java.lang.reflect.")
                .doesNotStartWith("java.util.logging.")
                .doesNotStartWith("java.io."));
    }
}
