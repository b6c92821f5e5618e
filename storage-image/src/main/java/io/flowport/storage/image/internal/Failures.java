package io.flowport.storage.image.internal;

import com.google.cloud.tools.jib.api.CacheDirectoryCreationException;
import com.google.cloud.tools.jib.api.InsecureRegistryException;
import com.google.cloud.tools.jib.api.RegistryAuthenticationFailedException;
import com.google.cloud.tools.jib.api.RegistryException;
import com.google.cloud.tools.jib.api.RegistryUnauthorizedException;
import com.google.cloud.tools.jib.http.ResponseException;
import com.google.cloud.tools.jib.registry.RegistryCredentialsNotSentException;
import io.flowport.core.FlowportException;
import io.flowport.storage.image.ImageBuildException;
import io.flowport.storage.image.RegistryUnavailableException;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * Turns what Jib throws into Flowport exceptions whose message names the registry or image at fault and the
 * fix. Not public API.
 */
public final class Failures {

    private Failures() {
    }

    /**
     * Translates a failure of {@code containerize}.
     *
     * @param target       the target image, {@code registry/repository:tag}
     * @param registry     the target registry
     * @param baseImage    the base image setting
     * @param baseRegistry the base image's registry, or null if it is not in a registry
     * @param chain        the credentials chain, to say which credentials were used
     * @param jibErrors    error lines Jib logged
     */
    public static FlowportException translate(Exception e, String target, String registry, String baseImage,
                                              String baseRegistry, CredentialChain chain, List<String> jibErrors) {
        String subject = "image storage " + target;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof FlowportException fe) {
                return new ImageBuildException(subject + ": " + fe.getMessage(), e);
            }
            if (t instanceof RegistryUnauthorizedException u) {
                String reg = registryOf(u.getImageReference(), registry, baseRegistry);
                String status = " (HTTP 401/403)";
                return new ImageBuildException(subject + ": registry " + reg + " refused access to "
                        + u.getImageReference() + status + " with " + chain.describeUsed(reg) + "; "
                        + credentialsFix(reg, registry), e);
            }
            if (t instanceof RegistryAuthenticationFailedException a) {
                String reg = mentioned(a.getMessage(), registry, baseRegistry);
                return new ImageBuildException(subject + ": authentication with registry " + reg + " failed ("
                        + a.getMessage() + ") using " + chain.describeUsed(reg) + "; " + credentialsFix(reg, registry),
                        e);
            }
            if (t instanceof RegistryCredentialsNotSentException) {
                String reg = mentioned(t.getMessage(), registry, baseRegistry);
                return new ImageBuildException(subject + ": registry " + reg + " speaks plain HTTP and asks for"
                        + " credentials, which Jib does not send over HTTP; serve the registry over HTTPS, or (for a"
                        + " test registry only) start the JVM with -DsendCredentialsOverHttp=true", e);
            }
            if (t instanceof InsecureRegistryException) {
                String reg = mentioned(t.getMessage(), registry, baseRegistry);
                return new ImageBuildException(subject + ": registry " + reg + " has no valid HTTPS (it speaks"
                        + " plain HTTP, or its certificate is not trusted); give it a trusted certificate, or allow"
                        + " it with allowInsecureRegistries(true) (FLOWPORT_IMAGE_ALLOW_INSECURE_REGISTRIES=true)", e);
            }
            if (t instanceof UnknownHostException) {
                String reg = failingRegistry(t, jibErrors, registry, baseRegistry);
                return new RegistryUnavailableException(reg, subject + ": registry " + reg + " is unreachable: unknown"
                        + " host '" + Registries.host(reg) + "'; check the " + setting(reg, registry)
                        + " for typos, and DNS and proxy settings", e);
            }
            if (t instanceof ConnectException || t instanceof NoRouteToHostException
                    || t instanceof SocketTimeoutException || isConnectFailure(t)) {
                String reg = failingRegistry(t, jibErrors, registry, baseRegistry);
                String why = t instanceof SocketTimeoutException ? "timed out" : "connection failed: " + t.getMessage();
                return new RegistryUnavailableException(reg, subject + ": registry " + reg + " is unreachable ("
                        + why + "); check that the registry runs and listens at " + reg + ", and the "
                        + setting(reg, registry), e);
            }
            if (t instanceof ResponseException r && r.getStatusCode() >= 500) {
                String reg = failingRegistry(t, jibErrors, registry, baseRegistry);
                return new RegistryUnavailableException(reg, subject + ": registry " + reg + " answered HTTP "
                        + r.getStatusCode() + "; it may be overloaded or failing, try again later", e);
            }
            if (t instanceof CacheDirectoryCreationException) {
                return new ImageBuildException(subject + ": cannot create Jib's cache directory (" + t.getMessage()
                        + "); set cacheDirectory (FLOWPORT_IMAGE_CACHE_DIRECTORY) to a writable directory", e);
            }
        }
        Throwable root = e;
        while (root.getCause() != null && (root instanceof java.util.concurrent.ExecutionException
                || root.getMessage() == null)) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getName() : root.getMessage();
        if (root instanceof RegistryException && baseRegistry != null && message.toLowerCase(Locale.ROOT)
                .contains("manifest") && mentions(message, baseRegistry, baseImage)) {
            return new ImageBuildException(subject + ": base image " + baseImage + " was not found in registry "
                    + baseRegistry + " (" + message + "); check the baseImage setting (name, tag, platform)", e);
        }
        String details = jibErrors.isEmpty() ? "" : " (Jib: " + String.join("; ", jibErrors) + ")";
        if (root instanceof IOException) {
            return new ImageBuildException(subject + ": I/O error: " + message + details, e);
        }
        return new ImageBuildException(subject + ": build failed: " + message + details, e);
    }

    private static boolean isConnectFailure(Throwable t) {
        // Apache's HttpHostConnectException and ConnectTimeoutException extend ConnectException /
        // InterruptedIOException; match by name as well so that a shaded copy counts too
        String name = t.getClass().getSimpleName();
        return name.equals("HttpHostConnectException") || name.equals("ConnectTimeoutException");
    }

    private static boolean mentions(String message, String baseRegistry, String baseImage) {
        return message.contains(baseRegistry) || message.contains(baseImage);
    }

    private static String credentialsFix(String failing, String target) {
        String which = failing.equals(target) ? "credentials(user, password) (FLOWPORT_IMAGE_USERNAME/PASSWORD)"
                : "baseImageCredentials(user, password) (FLOWPORT_IMAGE_BASE_IMAGE_USERNAME/PASSWORD)";
        return "give credentials that may " + (failing.equals(target) ? "push to" : "pull from") + " it: " + which
                + ", an entry for " + failing + " in the Docker config file (docker login " + failing
                + "), or a RegistryCredentialSource";
    }

    private static String setting(String failing, String target) {
        return failing.equals(target) ? "registry setting (FLOWPORT_IMAGE_REGISTRY)"
                : "baseImage setting (FLOWPORT_IMAGE_BASE_IMAGE)";
    }

    private static String registryOf(String imageReference, String registry, String baseRegistry) {
        if (imageReference != null && baseRegistry != null && imageReference.startsWith(baseRegistry + "/")
                && !imageReference.startsWith(registry + "/")) {
            return baseRegistry;
        }
        return registry;
    }

    private static String mentioned(String message, String registry, String baseRegistry) {
        if (message != null && baseRegistry != null && message.contains(baseRegistry) && !message.contains(registry)) {
            return baseRegistry;
        }
        return registry;
    }

    /**
     * Which registry a network failure is about: the one whose {@code host:port} the messages name, else the base
     * image's if the failure happened while pulling the base image, else the target.
     */
    private static String failingRegistry(Throwable t, List<String> jibErrors, String registry, String baseRegistry) {
        if (baseRegistry == null || baseRegistry.equals(registry)) {
            return registry;
        }
        StringBuilder text = new StringBuilder();
        boolean pullingBase = false;
        for (Throwable c = t; c != null; c = c.getCause()) {
            text.append(' ').append(c.getMessage());
            for (StackTraceElement frame : c.getStackTrace()) {
                String cls = frame.getClassName();
                pullingBase |= cls.endsWith(".PullBaseImageStep") || cls.endsWith(".ObtainBaseImageLayerStep");
            }
        }
        jibErrors.forEach(line -> text.append(' ').append(line));
        String all = text.toString();
        boolean target = names(all, registry);
        boolean base = names(all, baseRegistry);
        if (base != target) {
            return base ? baseRegistry : registry;
        }
        return pullingBase ? baseRegistry : registry;
    }

    private static boolean names(String text, String registry) {
        // "host:port" must match exactly; a bare host must not be followed by a port of another registry
        return java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(registry) + "(?![\\w.:-])")
                .matcher(text).find();
    }
}
