package io.flowport.agent;

import io.flowport.core.ConfigurationException;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

/**
 * Opens a {@link RunQueue} from a URL, the form the {@code flowport} command's {@code --queue} takes:
 * <ul>
 *   <li>a file path, {@code file:/path/queue.db}, {@code sqlite:/path/queue.db} or {@code jdbc:sqlite:/path/queue.db}:
 *       the {@link EmbeddedRunQueue embedded queue} in that file;</li>
 *   <li>{@code jdbc:postgresql://host:port/db?user=u} or {@code postgresql://u@host:port/db} (also
 *       {@code postgres://}): a {@link PostgresRunQueue}; the password comes from {@value #PASSWORD_VARIABLE} (or
 *       the URL, which is then never shown).</li>
 * </ul>
 * Without a URL: {@value #QUEUE_VARIABLE}, else {@code ~/.flowport/queue.db}.
 */
public final class RunQueues {

    /** The queue URL used when none is given. */
    public static final String QUEUE_VARIABLE = "FLOWPORT_QUEUE";
    /** The PostgreSQL password, so that it need not be in the URL. */
    public static final String PASSWORD_VARIABLE = "FLOWPORT_QUEUE_PASSWORD";

    private RunQueues() {
    }

    /** Opens the queue at {@code url} (or the default when null or blank), reading variables from this process. */
    public static RunQueue open(String url) {
        return open(url, System.getenv());
    }

    /**
     * Opens the queue at {@code url}, reading {@value #QUEUE_VARIABLE} and {@value #PASSWORD_VARIABLE} from
     * {@code env}. Blocking (connects and migrates the schema).
     *
     * @throws ConfigurationException if the URL is not understood (the message lists the forms)
     * @throws QueueException         if the store cannot be opened
     */
    public static RunQueue open(String url, Map<String, String> env) {
        String u = url == null || url.isBlank() ? env.get(QUEUE_VARIABLE) : url.trim();
        if (u == null || u.isBlank()) {
            return EmbeddedRunQueue.open(defaultFile());
        }
        if (u.startsWith("jdbc:postgresql:")) {
            return PostgresRunQueue.builder().url(u).password(env.get(PASSWORD_VARIABLE)).build();
        }
        if (u.startsWith("postgresql://") || u.startsWith("postgres://")) {
            return postgres(u, env);
        }
        if (u.startsWith("jdbc:sqlite:")) {
            return EmbeddedRunQueue.open(Paths.get(u.substring("jdbc:sqlite:".length())));
        }
        if (u.startsWith("sqlite:")) {
            return EmbeddedRunQueue.open(Paths.get(u.substring("sqlite:".length())));
        }
        if (u.startsWith("file:")) {
            try {
                return EmbeddedRunQueue.open(Paths.get(new URI(u)));
            } catch (URISyntaxException | IllegalArgumentException e) {
                throw new ConfigurationException("queue URL '" + u + "' is not a valid file URL: " + e.getMessage());
            }
        }
        if (u.matches("^[a-zA-Z][a-zA-Z0-9+.-]+:.*") && !u.matches("^[a-zA-Z]:[\\\\/].*")) {
            throw new ConfigurationException("queue URL '" + u.replaceAll("(?i)password=[^&;]*", "password=***")
                    + "' is not understood; use a file path (the embedded queue), jdbc:sqlite:<path>, "
                    + "jdbc:postgresql://host:port/db or postgresql://user@host:port/db");
        }
        return EmbeddedRunQueue.open(Paths.get(u));
    }

    /** The embedded queue's default file: {@code ~/.flowport/queue.db}. */
    public static Path defaultFile() {
        return Paths.get(System.getProperty("user.home"), ".flowport", "queue.db");
    }

    private static RunQueue postgres(String u, Map<String, String> env) {
        URI uri;
        try {
            uri = new URI(u);
        } catch (URISyntaxException e) {
            throw new ConfigurationException("queue URL is not a valid postgresql:// URL: " + e.getReason());
        }
        String user = null;
        String password = env.get(PASSWORD_VARIABLE);
        if (uri.getRawUserInfo() != null) {
            String[] info = uri.getRawUserInfo().split(":", 2);
            user = URLDecoder.decode(info[0], StandardCharsets.UTF_8);
            if (info.length == 2) {
                password = URLDecoder.decode(info[1], StandardCharsets.UTF_8);
            }
        }
        if (uri.getHost() == null) {
            throw new ConfigurationException("queue URL postgresql://… needs a host, e.g. postgresql://flowport@db:5432/flows");
        }
        String jdbc = "jdbc:postgresql://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "")
                + (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        return PostgresRunQueue.builder().url(jdbc).user(user).password(password).build();
    }
}
