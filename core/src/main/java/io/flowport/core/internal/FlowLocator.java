package io.flowport.core.internal;

import io.flowport.core.ConfigurationException;
import io.flowport.core.Flow;
import io.flowport.core.FlowProvider;

import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Finds a flow by location in a class loader. A location is a flow name (looked up among the
 * {@link FlowProvider}s listed in {@code META-INF/services}), a class name (a {@link FlowProvider} with one flow
 * or a {@code Supplier<Flow>}), or {@code class#flowName}.
 */
public final class FlowLocator {

    private FlowLocator() {
    }

    /**
     * Loads the flow at {@code location}.
     *
     * @param where a description of the place searched, for the error message
     * @throws ConfigurationException if nothing is found; the message lists the flows that were found
     */
    public static Flow load(String location, ClassLoader loader, String where) {
        if (location == null || location.isBlank()) {
            throw new ConfigurationException("flow location is empty; give a flow name or a class name");
        }
        int hash = location.indexOf('#');
        if (hash > 0) {
            return fromClass(location.substring(0, hash), location.substring(hash + 1), loader, where, location);
        }
        List<Flow> matches = new ArrayList<>();
        TreeSet<String> available = new TreeSet<>();
        for (FlowProvider p : ServiceLoader.load(FlowProvider.class, loader)) {
            for (Flow f : p.flows()) {
                available.add(f.name());
                if (f.name().equals(location)) {
                    matches.add(f);
                }
            }
        }
        if (matches.size() == 1) {
            return matches.get(0);
        }
        if (matches.size() > 1) {
            throw new ConfigurationException("flow location '" + location + "' is ambiguous in " + where + ": "
                    + matches.size() + " flow providers offer a flow with that name");
        }
        if (looksLikeClassName(location)) {
            try {
                Class.forName(location, false, loader);
                return fromClass(location, null, loader, where, location);
            } catch (ClassNotFoundException e) {
                // fall through to the error below
            }
        }
        throw new ConfigurationException("no flow at location '" + location + "' in " + where + "; flows found: "
                + (available.isEmpty() ? "(none)" : String.join(", ", available))
                + ". Give a flow name offered by a FlowProvider listed in"
                + " META-INF/services/io.flowport.core.FlowProvider, or the name of such a class");
    }

    /** The names of the flows the {@link FlowProvider}s in {@code loader} offer. */
    public static List<String> available(ClassLoader loader) {
        TreeSet<String> names = new TreeSet<>();
        for (FlowProvider p : ServiceLoader.load(FlowProvider.class, loader)) {
            for (Flow f : p.flows()) {
                names.add(f.name());
            }
        }
        return List.copyOf(names);
    }

    private static boolean looksLikeClassName(String s) {
        return s.indexOf('.') > 0 && Character.isJavaIdentifierStart(s.charAt(0));
    }

    private static Flow fromClass(String className, String flowName, ClassLoader loader, String where,
                                  String location) {
        Object instance;
        try {
            Class<?> cls = Class.forName(className, true, loader);
            if (!FlowProvider.class.isAssignableFrom(cls) && !Supplier.class.isAssignableFrom(cls)) {
                throw new ConfigurationException("flow location '" + location + "': class " + className
                        + " must implement io.flowport.core.FlowProvider or Supplier<Flow>");
            }
            instance = cls.getDeclaredConstructor().newInstance();
        } catch (ClassNotFoundException e) {
            throw new ConfigurationException("flow location '" + location + "': class " + className
                    + " is not in " + where);
        } catch (NoSuchMethodException | InstantiationException | IllegalAccessException e) {
            throw new ConfigurationException("flow location '" + location + "': class " + className
                    + " needs a public no-argument constructor");
        } catch (InvocationTargetException e) {
            throw new ConfigurationException("flow location '" + location + "': constructing " + className
                    + " failed: " + e.getCause());
        }
        List<Flow> flows;
        if (instance instanceof FlowProvider p) {
            flows = p.flows();
        } else if (instance instanceof Supplier<?> s && s.get() instanceof Flow f) {
            flows = List.of(f);
        } else {
            throw new ConfigurationException("flow location '" + location + "': class " + className
                    + " must implement io.flowport.core.FlowProvider or Supplier<Flow>");
        }
        if (flowName == null) {
            if (flows.size() == 1) {
                return flows.get(0);
            }
            throw new ConfigurationException("flow location '" + location + "': " + className + " offers "
                    + flows.size() + " flows; say which with '" + className + "#<flow name>'");
        }
        for (Flow f : flows) {
            if (f.name().equals(flowName)) {
                return f;
            }
        }
        List<String> names = flows.stream().map(Flow::name).toList();
        throw new ConfigurationException("flow location '" + location + "': " + className + " has no flow '"
                + flowName + "'; it offers " + names);
    }
}
