package io.github.multitiercache.autoconfigure;

import java.util.Set;

import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.junit.LocationProvider;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The layering of {@code multi-tier-cache-autoconfigure}, checked on every class the module
 * compiles (its own output directory, not its tests nor the jars beside it). See "Checked in the
 * build" in {@code docs/architecture.md}.
 */
@AnalyzeClasses(locations = BootLayerArchitectureTests.AutoconfigureModuleClasses.class)
class BootLayerArchitectureTests {

    @ArchTest
    static final ArchRule bootLayerPackagesHaveNoCycles = slices()
            .matching("io.github.multitiercache.(**)")
            .should().beFreeOfCycles();

    @ArchTest
    static final ArchRule endpointHealthAndMetricsDoNotDependOnEachOther = slices()
            .matching("io.github.multitiercache.autoconfigure.(*)..")
            .should().notDependOnEachOther()
            .because("each is switched on by its own optional dependency (actuator, spring-boot-health, "
                    + "Micrometer) and must load when the others' classes are absent");

    /** The directory (or jar) the module's main classes were loaded from. */
    static final class AutoconfigureModuleClasses implements LocationProvider {

        @Override
        public Set<Location> get(Class<?> testClass) {
            return Set.of(Location.of(
                    MultiTierCacheAutoConfiguration.class.getProtectionDomain().getCodeSource().getLocation()));
        }
    }
}
