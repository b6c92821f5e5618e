package io.flowport.env.fargate;

import io.flowport.core.FlowportException;
import io.flowport.core.spi.RegistryCredentialSource;
import io.flowport.core.spi.RegistryCredentials;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.ecr.EcrClientBuilder;
import software.amazon.awssdk.services.ecr.model.AuthorizationData;
import software.amazon.awssdk.services.ecr.model.GetAuthorizationTokenResponse;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Registry credentials for Amazon ECR ({@code <account>.dkr.ecr.<region>.amazonaws.com}): an ECR
 * {@code GetAuthorizationToken} call with the standard AWS credential chain (environment variables first),
 * decoded into the {@code AWS} user and its 12-hour token, cached until shortly before it expires.
 *
 * <p>Found by {@code ImageStorage} through {@link java.util.ServiceLoader} (id {@code ecr}): with
 * {@code flowport-env-fargate} and {@code flowport-storage-image} on the class path, pushing to ECR needs no
 * credential setting. Tokens are never logged.
 */
public final class EcrCredentialSource implements RegistryCredentialSource {

    private static final Pattern ECR_HOST = Pattern.compile(
            "^(\\d{12})\\.dkr\\.ecr(?:-fips)?\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?(?::\\d+)?$");
    /** A cached token is renewed this long before it expires, so a long push does not outlive it. */
    private static final Duration RENEW_BEFORE = Duration.ofMinutes(15);

    private final Function<Region, EcrClient> clients;
    private final Clock clock;
    private final Map<String, Token> cache = new ConcurrentHashMap<>();

    /**
     * The source {@link java.util.ServiceLoader} creates: the default AWS credential chain, one ECR client per
     * token fetch (tokens are cached for hours), closed with its HTTP connections after the call.
     */
    public EcrCredentialSource() {
        this(clients(Apache5HttpClient::builder, b -> { }), Clock.systemUTC());
    }

    /**
     * A source with its own clients (another credential provider, an endpoint override).
     *
     * @param clients makes an ECR client for a region; the source closes each client after its call
     * @param clock   the time used to decide whether a cached token is still good
     */
    public EcrCredentialSource(Function<Region, EcrClient> clients, Clock clock) {
        this.clients = Objects.requireNonNull(clients, "clients");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * ECR clients whose HTTP client the SDK builds from {@code http} and therefore closes with the ECR client (a
     * client handed over already built would be left open by the SDK, one connection pool per token fetch).
     *
     * @param http       makes the builder of each client's HTTP client
     * @param customizer further settings (endpoint, credentials) for each client
     */
    static Function<Region, EcrClient> clients(Supplier<? extends SdkHttpClient.Builder<?>> http,
                                               Consumer<EcrClientBuilder> customizer) {
        Objects.requireNonNull(http, "http");
        Objects.requireNonNull(customizer, "customizer");
        return region -> {
            EcrClientBuilder b = EcrClient.builder().region(region).httpClientBuilder(http.get());
            customizer.accept(b);
            return b.build();
        };
    }

    @Override
    public String id() {
        return "ecr";
    }

    @Override
    public boolean supports(String registry) {
        return registry != null && ECR_HOST.matcher(registry).matches();
    }

    /**
     * Gets (or reuses) a token for {@code registry}. Blocking.
     *
     * @throws FlowportException naming the registry when AWS refuses the call or the answer holds no token
     */
    @Override
    public Optional<RegistryCredentials> credentials(String registry) {
        Matcher m = ECR_HOST.matcher(registry);
        if (!m.matches()) {
            return Optional.empty();
        }
        Token cached = cache.get(registry);
        if (cached != null && clock.instant().isBefore(cached.expiresAt().minus(RENEW_BEFORE))) {
            return Optional.of(cached.credentials());
        }
        Token token = fetch(registry, m.group(1), Region.of(m.group(2)));
        cache.put(registry, token);
        return Optional.of(token.credentials());
    }

    private Token fetch(String registry, String account, Region region) {
        GetAuthorizationTokenResponse response;
        try (EcrClient ecr = clients.apply(region)) {
            response = ecr.getAuthorizationToken(b -> b.registryIds(account));
        } catch (SdkException e) {
            RuntimeException mapped = AwsErrors.map("ECR GetAuthorizationToken for registry " + registry, e);
            throw new FlowportException(mapped.getMessage(), e);
        }
        if (!response.hasAuthorizationData() || response.authorizationData().isEmpty()) {
            throw new FlowportException("ECR GetAuthorizationToken for registry " + registry
                    + " returned no authorization data");
        }
        AuthorizationData data = response.authorizationData().get(0);
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(data.authorizationToken()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new FlowportException("ECR GetAuthorizationToken for registry " + registry
                    + " returned a token that is not base64", e);
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0) {
            throw new FlowportException("ECR GetAuthorizationToken for registry " + registry
                    + " returned a token without the 'user:password' form");
        }
        Instant expires = data.expiresAt() != null ? data.expiresAt() : clock.instant().plus(Duration.ofHours(1));
        return new Token(new RegistryCredentials(decoded.substring(0, colon), decoded.substring(colon + 1)), expires);
    }

    @Override
    public String toString() {
        return "EcrCredentialSource[cached registries=" + cache.keySet() + "]";
    }

    private record Token(RegistryCredentials credentials, Instant expiresAt) {
    }
}
