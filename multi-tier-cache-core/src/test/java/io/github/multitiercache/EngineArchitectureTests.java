package io.github.multitiercache;

import java.util.Set;

import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.junit.LocationProvider;
import com.tngtech.archunit.lang.ArchRule;
import io.github.multitiercache.core.TieredCache;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The layering of {@code multi-tier-cache-core}, checked on every class the module compiles
 * (its own output directory, not its tests nor the jars beside it). See "Checked in the build"
 * in {@code docs/architecture.md}.
 */
@AnalyzeClasses(locations = EngineArchitectureTests.CoreModuleClasses.class)
class EngineArchitectureTests {

    @ArchTest
    static final ArchRule engineImportsNothingFromSpringBoot = noClasses()
            .should().dependOnClassesThat().resideInAPackage("org.springframework.boot..")
            .because("the engine runs without Spring Boot; the Boot layer lives in multi-tier-cache-autoconfigure");

    @ArchTest
    static final ArchRule enginePackagesHaveNoCycles = slices()
            .matching("io.github.multitiercache.(**)")
            .should().beFreeOfCycles();

    @ArchTest
    static final ArchRule engineKnowsNeitherTheSpringAdapterNorTheAnnotation = noClasses()
            .that().resideInAPackage("io.github.multitiercache.core..")
            .should().dependOnClassesThat()
            .resideInAnyPackage("io.github.multitiercache.spring..", "io.github.multitiercache.annotation..")
            .because("the Spring Cache adapter and @MultiTierCacheable sit on the engine, not under it");

    /** The directory (or jar) the module's main classes were loaded from. */
    static final class CoreModuleClasses implements LocationProvider {

        @Override
        public Set<Location> get(Class<?> testClass) {
            return Set.of(Location.of(TieredCache.class.getProtectionDomain().getCodeSource().getLocation()));
        }
    }
}
