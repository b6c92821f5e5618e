package io.flowport.env.dask;

import io.flowport.core.ConfigurationException;
import io.flowport.core.ProviderNotFoundException;
import io.flowport.env.dask.spi.DaskPlatformProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeSet;

/** Finds the {@link DaskPlatformProvider} for a {@code providerClass}: a name, or a user's class name. */
final class Platforms {

    private static final Logger LOG = LoggerFactory.getLogger(Platforms.class);

    private Platforms() {
    }

    /**
     * The provider for {@code providerClass}.
     *
     * @throws ConfigurationException    if no provider has that name and it is not a usable class
     * @throws ProviderNotFoundException if the provider needs an artifact that is missing (the message names it)
     */
    static DaskPlatformProvider find(String providerClass) {
        List<DaskPlatformProvider> all = all();
        for (DaskPlatformProvider p : all) {
            if (p.names().contains(providerClass)) {
                p.missing().ifPresent(fix -> {
                    throw new ProviderNotFoundException("providerClass '" + providerClass + "' needs a library that"
                            + " is not on the class path: " + fix);
                });
                return p;
            }
        }
        if (providerClass.contains(".")) {
            try {
                Class<?> c = Class.forName(providerClass, true, Platforms.class.getClassLoader());
                if (DaskPlatformProvider.class.isAssignableFrom(c)) {
                    return (DaskPlatformProvider) c.getDeclaredConstructor().newInstance();
                }
                throw new ConfigurationException("providerClass '" + providerClass + "' does not implement "
                        + DaskPlatformProvider.class.getName());
            } catch (ReflectiveOperationException | LinkageError e) {
                throw new ConfigurationException("providerClass '" + providerClass + "' cannot be loaded (" + e
                        + "); known providers: " + names(all));
            }
        }
        throw new ConfigurationException("providerClass '" + providerClass + "' is unknown; known providers: "
                + names(all) + ", or the class name of your own " + DaskPlatformProvider.class.getSimpleName());
    }

    /**
     * A provider given as an instance, checked like a found one.
     *
     * @throws ProviderNotFoundException if the provider needs an artifact that is missing (the message names it)
     */
    static DaskPlatformProvider check(DaskPlatformProvider provider, String providerClass) {
        provider.missing().ifPresent(fix -> {
            throw new ProviderNotFoundException("providerClass '" + providerClass + "' needs a library that is not"
                    + " on the class path: " + fix);
        });
        return provider;
    }

    /** Every provider's names, with what each one misses, for messages. */
    static String names(List<DaskPlatformProvider> all) {
        TreeSet<String> names = new TreeSet<>();
        for (DaskPlatformProvider p : all) {
            String missing = p.missing().map(m -> " (" + m + ")").orElse("");
            p.names().forEach(n -> names.add(n + missing));
        }
        return String.join(", ", names);
    }

    static List<DaskPlatformProvider> all() {
        List<DaskPlatformProvider> out = new ArrayList<>();
        Iterator<DaskPlatformProvider> it = ServiceLoader.load(DaskPlatformProvider.class,
                Platforms.class.getClassLoader()).iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                out.add(it.next());
            } catch (ServiceConfigurationError e) {
                LOG.debug("a Dask platform provider could not be loaded: {}", e.toString());
            }
        }
        return out;
    }
}
