package io.flowport.it.build;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The jars users get: each published module's jar (as packaged by this build) names its root package as its
 * {@code Automatic-Module-Name} (a valid module name under {@code io.flowport}), holds classes of that package
 * only, and its public API (public and protected
 * members of public types outside {@code internal} packages) never shows an {@code internal} type.
 */
class PublishedJarsIT {

    private static final Pattern MODULE_NAME = Pattern.compile("[a-z][a-z0-9]*(\\.[a-z][a-z0-9]*)*");

    /** Published artifactId to its jar on this test's class path. */
    static final Map<String, Path> JARS = new LinkedHashMap<>();

    @BeforeAll
    static void findJars() throws IOException {
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Paths.get(entry);
            if (!entry.endsWith(".jar") || !Files.isRegularFile(p)) {
                continue;
            }
            String artifactId = artifactId(p);
            if (artifactId != null && Reactor.bom().contains(artifactId) && !entry.endsWith("-tests.jar")) {
                JARS.put(artifactId, p);
            }
        }
        assertThat(JARS.keySet()).as("every published module's jar on the class path (failsafe runs after package)")
                .containsExactlyInAnyOrderElementsOf(Reactor.bom());
    }

    /** The module name a module's POM sets ({@code flowport.module.name}), for the parent's jar plugin. */
    static String declaredModuleName(String artifactId) {
        Reactor.Module m = Reactor.modules().stream().filter(x -> x.artifactId().equals(artifactId)).findFirst()
                .orElseThrow();
        String name = Reactor.properties(m.pom()).get("flowport.module.name");
        assertThat(name).as("<flowport.module.name> (the module's root package) in %s/pom.xml", m.directory())
                .isNotNull();
        return name;
    }

    @TestFactory
    List<DynamicTest> everyPublishedJarNamesItsRootPackageAsItsModule() {
        List<DynamicTest> tests = new ArrayList<>();
        JARS.forEach((artifactId, jar) -> tests.add(DynamicTest.dynamicTest(artifactId, () -> {
            try (JarFile j = new JarFile(jar.toFile())) {
                String name = j.getManifest().getMainAttributes().getValue("Automatic-Module-Name");
                assertThat(name).as("Automatic-Module-Name of %s", jar.getFileName())
                        .isEqualTo(declaredModuleName(artifactId)).matches(MODULE_NAME).startsWith("io.flowport.");
                String prefix = name.replace('.', '/') + "/";
                List<String> outside = j.stream().map(JarEntry::getName)
                        .filter(n -> n.endsWith(".class") && !n.startsWith(prefix) && !n.startsWith("META-INF/"))
                        .toList();
                assertThat(outside).as("classes of %s outside its package %s", jar.getFileName(), name).isEmpty();
            }
        })));
        return tests;
    }

    @TestFactory
    List<DynamicTest> noPublicSignatureShowsAnInternalType() {
        List<DynamicTest> tests = new ArrayList<>();
        JARS.forEach((artifactId, jar) -> tests.add(DynamicTest.dynamicTest(artifactId, () -> {
            List<String> leaks = new ArrayList<>();
            for (Class<?> c : apiClasses(jar)) {
                leaks.addAll(leaks(c));
            }
            assertThat(leaks).as("public API of %s that shows an internal type", artifactId).isEmpty();
        })));
        return tests;
    }

    /** What the check must catch: an internal type behind generics, arrays and bounds. */
    public abstract static class Leaky<T extends io.flowport.core.internal.Json> {
        /** Leaks through a type argument. */
        public abstract List<io.flowport.core.internal.Json[]> json();

        /** Does not leak: private. */
        @SuppressWarnings("unused")
        private io.flowport.core.internal.Json hidden() {
            return null;
        }
    }

    @org.junit.jupiter.api.Test
    void theCheckSeesInternalTypesInGenericsArraysAndBounds() {
        assertThat(leaks(Leaky.class)).containsExactly(
                Leaky.class.getName() + " <T> io.flowport.core.internal.Json",
                Leaky.class.getName() + ".json() returns io.flowport.core.internal.Json");
    }

    static List<String> leaks(Class<?> c) {
        List<String> leaks = new ArrayList<>();
        for (TypeVariable<?> v : c.getTypeParameters()) {
            check(v, c.getName() + " <" + v.getName() + ">", leaks);
        }
        check(c.getGenericSuperclass(), c.getName() + " extends", leaks);
        for (Type t : c.getGenericInterfaces()) {
            check(t, c.getName() + " implements", leaks);
        }
        for (Constructor<?> k : c.getDeclaredConstructors()) {
            if (visible(k) && !k.isSynthetic()) {
                for (Type t : k.getGenericParameterTypes()) {
                    check(t, c.getName() + " constructor", leaks);
                }
                for (Type t : k.getGenericExceptionTypes()) {
                    check(t, c.getName() + " constructor throws", leaks);
                }
            }
        }
        for (Method m : c.getDeclaredMethods()) {
            if (visible(m) && !m.isSynthetic() && !m.isBridge()) {
                String where = c.getName() + "." + m.getName() + "()";
                for (TypeVariable<?> v : m.getTypeParameters()) {
                    check(v, where + " <" + v.getName() + ">", leaks);
                }
                check(m.getGenericReturnType(), where + " returns", leaks);
                for (Type t : m.getGenericParameterTypes()) {
                    check(t, where + " takes", leaks);
                }
                for (Type t : m.getGenericExceptionTypes()) {
                    check(t, where + " throws", leaks);
                }
            }
        }
        for (Field f : c.getDeclaredFields()) {
            if (visible(f) && !f.isSynthetic()) {
                check(f.getGenericType(), c.getName() + "." + f.getName(), leaks);
            }
        }
        return leaks;
    }

    private static boolean visible(Member m) {
        return Modifier.isPublic(m.getModifiers()) || Modifier.isProtected(m.getModifiers())
                && !Modifier.isFinal(m.getDeclaringClass().getModifiers());
    }

    private static void check(Type t, String where, List<String> leaks) {
        check(t, where, leaks, new HashSet<>());
    }

    private static void check(Type t, String where, List<String> leaks, Set<Type> seen) {
        if (t == null || !seen.add(t)) {
            return;
        }
        if (t instanceof Class<?> k) {
            Class<?> base = k;
            while (base.isArray()) {
                base = base.getComponentType();
            }
            if (base.getName().startsWith("io.flowport.") && base.getPackageName().contains(".internal")) {
                leaks.add(where + " " + base.getName());
            }
        } else if (t instanceof ParameterizedType p) {
            check(p.getRawType(), where, leaks, seen);
            for (Type a : p.getActualTypeArguments()) {
                check(a, where, leaks, seen);
            }
        } else if (t instanceof WildcardType w) {
            for (Type b : w.getUpperBounds()) {
                check(b, where, leaks, seen);
            }
            for (Type b : w.getLowerBounds()) {
                check(b, where, leaks, seen);
            }
        } else if (t instanceof TypeVariable<?> v) {
            for (Type b : v.getBounds()) {
                check(b, where, leaks, seen);
            }
        } else if (t instanceof GenericArrayType g) {
            check(g.getGenericComponentType(), where, leaks, seen);
        }
    }

    /** Public types (and public nested types of them) outside internal packages. */
    static List<Class<?>> apiClasses(Path jar) throws IOException, ClassNotFoundException {
        List<Class<?>> out = new ArrayList<>();
        try (JarFile j = new JarFile(jar.toFile())) {
            for (JarEntry e : (Iterable<JarEntry>) j.stream()::iterator) {
                String n = e.getName();
                if (!n.endsWith(".class") || n.startsWith("META-INF/") || n.endsWith("package-info.class")
                        || n.endsWith("module-info.class") || n.contains("/internal/")) {
                    continue;
                }
                Class<?> c = Class.forName(n.substring(0, n.length() - 6).replace('/', '.'), false,
                        PublishedJarsIT.class.getClassLoader());
                if (isApi(c)) {
                    out.add(c);
                }
            }
        }
        return out;
    }

    private static boolean isApi(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getEnclosingClass()) {
            if (!Modifier.isPublic(k.getModifiers()) || k.isAnonymousClass() || k.isLocalClass()) {
                return false;
            }
        }
        return true;
    }

    private static String artifactId(Path jar) throws IOException {
        try (JarFile j = new JarFile(jar.toFile())) {
            for (JarEntry e : (Iterable<JarEntry>) j.stream()::iterator) {
                String n = e.getName();
                if (n.startsWith("META-INF/maven/" + Reactor.GROUP + "/") && n.endsWith("/pom.properties")) {
                    Properties props = new Properties();
                    try (InputStream in = j.getInputStream(e)) {
                        props.load(in);
                    }
                    return props.getProperty("artifactId");
                }
            }
        }
        return null;
    }
}
