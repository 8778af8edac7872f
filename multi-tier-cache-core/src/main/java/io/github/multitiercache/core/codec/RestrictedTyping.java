package io.github.multitiercache.core.codec;

import java.util.Collection;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import tools.jackson.databind.DatabindContext;
import tools.jackson.databind.DefaultTyping;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.jsontype.NamedType;
import tools.jackson.databind.jsontype.PolymorphicTypeValidator;
import tools.jackson.databind.jsontype.TypeIdResolver;
import tools.jackson.databind.jsontype.impl.ClassNameIdResolver;
import tools.jackson.databind.jsontype.impl.DefaultTypeResolverBuilder;

/**
 * Jackson polymorphic-typing components bound to a {@link TypeAllowList}: a validator that vets
 * class names read from JSON before any class is loaded, and a default-typing builder whose type
 * ids are vetted when written, so a value that could not be read back fails at write time.
 */
final class RestrictedTyping {

    /** The JSON property (or wrapper-array element) that carries the class name. */
    static final String TYPE_PROPERTY = "@class";

    private RestrictedTyping() {
    }

    /** Thrown while writing a value whose type id is not on the allow-list. */
    static final class DisallowedTypeException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        private final String className;

        DisallowedTypeException(String className, String message) {
            super(message, null, false, false);
            this.className = className;
        }

        String className() {
            return className;
        }
    }

    /**
     * Vets class names read from JSON. Jackson consults {@code validateSubClassName} before it
     * loads the named class, so a denial there means a hostile class is never even resolved; a
     * permitted name still goes through {@code validateSubType}, which sees the type parameters of
     * generic ids such as {@code java.util.EnumSet<...>} (Jackson's own check of those parameters
     * waves enums and {@code Object} through).
     */
    static final class Validator extends PolymorphicTypeValidator.Base {

        private static final long serialVersionUID = 1L;

        private final TypeAllowList allowList;

        Validator(TypeAllowList allowList) {
            this.allowList = allowList;
        }

        @Override
        public Validity validateBaseType(DatabindContext ctxt, JavaType baseType) {
            return Validity.INDETERMINATE; // every sub-type is judged on its own name
        }

        @Override
        public Validity validateSubClassName(DatabindContext ctxt, JavaType baseType,
                String subClassName) {
            return allowList.permits(subClassName) ? Validity.INDETERMINATE : Validity.DENIED;
        }

        @Override
        public Validity validateSubType(DatabindContext ctxt, JavaType baseType, JavaType subType) {
            return permitsDeep(subType, false) ? Validity.ALLOWED : Validity.DENIED;
        }

        private boolean permitsDeep(JavaType type, boolean parameter) {
            if (!(parameter && type.isJavaLangObject())
                    && !allowList.permits(type.getRawClass().getName())) {
                return false;
            }
            for (int i = 0; i < type.containedTypeCount(); i++) {
                JavaType contained = type.containedType(i);
                if (contained != null && !permitsDeep(contained, true)) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Default typing for non-final declared types (so {@code Object}, interfaces and open classes)
     * with class-name ids, whose id resolver refuses to write ids the reader would reject.
     */
    static final class TypingBuilder extends DefaultTypeResolverBuilder {

        private static final long serialVersionUID = 1L;

        private final TypeAllowList allowList;

        TypingBuilder(PolymorphicTypeValidator validator, TypeAllowList allowList) {
            super(validator, DefaultTyping.NON_FINAL, JsonTypeInfo.As.PROPERTY,
                    JsonTypeInfo.Id.CLASS, TYPE_PROPERTY);
            this.allowList = allowList;
        }

        private TypingBuilder(TypingBuilder base, Class<?> defaultImpl) {
            super(base, defaultImpl);
            this.allowList = base.allowList;
        }

        // The inherited implementation would return a plain DefaultTypeResolverBuilder and
        // silently drop the write-side check.
        @Override
        public DefaultTypeResolverBuilder withDefaultImpl(Class<?> defaultImpl) {
            return new TypingBuilder(this, defaultImpl);
        }

        @Override
        protected TypeIdResolver idResolver(DatabindContext ctxt, JavaType baseType,
                PolymorphicTypeValidator subtypeValidator, Collection<NamedType> subtypes,
                boolean forSer, boolean forDeser) {
            if (_customIdResolver != null || _idType != JsonTypeInfo.Id.CLASS) {
                return super.idResolver(ctxt, baseType, subtypeValidator, subtypes, forSer, forDeser);
            }
            return new CheckedIdResolver(baseType, subtypes, subtypeValidator, allowList);
        }
    }

    /** Class-name ids, refusing on write any id whose classes the allow-list does not permit. */
    static final class CheckedIdResolver extends ClassNameIdResolver {

        private static final long serialVersionUID = 1L;

        private final TypeAllowList allowList;

        CheckedIdResolver(JavaType baseType, Collection<NamedType> subtypes,
                PolymorphicTypeValidator validator, TypeAllowList allowList) {
            super(baseType, subtypes, validator);
            this.allowList = allowList;
        }

        @Override
        protected String _idFrom(DatabindContext ctxt, Object value, Class<?> cls) {
            String id = super._idFrom(ctxt, value, cls);
            String rejected = allowList.firstDisallowed(id);
            if (rejected != null) {
                throw new DisallowedTypeException(rejected, "Cannot cache a value of type '"
                        + rejected + "': it is not on the allow-list, so it could not be read back; "
                        + allowList.remedyFor(rejected));
            }
            return id;
        }
    }
}
