package io.flowport.env.aci;

import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpPipelineNextPolicy;
import com.azure.core.http.HttpPipelineNextSyncPolicy;
import com.azure.core.http.HttpPipelinePosition;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Keeps this process's Resource Manager traffic within ARM's quotas. Placed in the SDK's pipeline after its retry
 * policy, so it sees every HTTP attempt: each read (GET) takes a token from a bucket refilled at
 * {@code readsPerSecond} (burst: one second's worth) and waits for one when the bucket is empty; a 429 answer
 * stops reads (or writes) of this process until its {@code Retry-After} has passed, on top of the SDK's retry
 * policy honouring the same header for the call that was throttled. Status polls ask {@link #readsAvailable()}
 * how many reads they may make now without waiting.
 */
final class ArmPacer implements HttpPipelinePolicy {

    private static final HttpHeaderName RETRY_AFTER_MS = HttpHeaderName.fromString("retry-after-ms");
    private static final HttpHeaderName X_MS_RETRY_AFTER_MS = HttpHeaderName.fromString("x-ms-retry-after-ms");

    private final double rate;
    private final double capacity;
    private double tokens;
    private long refilledAt = System.nanoTime();
    // nanoTime values are only compared by difference, so they start at "now", not at an extreme
    private volatile long readsPausedUntil = refilledAt;
    private volatile long writesPausedUntil = refilledAt;
    final LongAdder reads = new LongAdder();
    final LongAdder writes = new LongAdder();
    final LongAdder throttled = new LongAdder();

    ArmPacer(double readsPerSecond) {
        this.rate = readsPerSecond;
        this.capacity = Math.max(1, readsPerSecond);
        this.tokens = capacity;
    }

    @Override
    public HttpPipelinePosition getPipelinePosition() {
        return HttpPipelinePosition.PER_RETRY;
    }

    @Override
    public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
        long wait = admit(context.getHttpRequest().getHttpMethod());
        Mono<HttpResponse> call = Mono.defer(next::process).doOnNext(this::observe);
        return wait <= 0 ? call : Mono.delay(Duration.ofNanos(wait)).then(call);
    }

    @Override
    public HttpResponse processSync(HttpPipelineCallContext context, HttpPipelineNextSyncPolicy next) {
        long wait = admit(context.getHttpRequest().getHttpMethod());
        if (wait > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while pacing Azure Resource Manager calls", e);
            }
        }
        HttpResponse r = next.processSync();
        observe(r);
        return r;
    }

    /** Nanoseconds to wait before sending a request with this method. */
    private long admit(HttpMethod method) {
        long now = System.nanoTime();
        if (method == HttpMethod.GET || method == HttpMethod.HEAD) {
            reads.increment();
            return reserveRead(now);
        }
        writes.increment();
        return Math.max(0, writesPausedUntil - now);
    }

    private synchronized long reserveRead(long now) {
        refill(now);
        tokens -= 1;
        long debt = tokens >= 0 ? 0 : (long) (-tokens * 1e9 / rate);
        return Math.max(debt, readsPausedUntil - now);
    }

    private void refill(long now) {
        tokens = Math.min(capacity, tokens + (now - refilledAt) * rate / 1e9);
        refilledAt = now;
    }

    /** Reads that can be sent now without waiting (0 while paused by a 429). */
    synchronized int readsAvailable() {
        long now = System.nanoTime();
        refill(now);
        if (readsPausedUntil - now > 0) {
            return 0;
        }
        return (int) Math.max(0, Math.floor(tokens));
    }

    /** The configured read pace. */
    double readsPerSecond() {
        return rate;
    }

    private void observe(HttpResponse r) {
        if (r.getStatusCode() != 429) {
            return;
        }
        throttled.increment();
        Duration d = retryAfter(r);
        long until = System.nanoTime() + d.toNanos();
        if (r.getRequest().getHttpMethod() == HttpMethod.GET || r.getRequest().getHttpMethod() == HttpMethod.HEAD) {
            synchronized (this) {
                if (until - readsPausedUntil > 0) {
                    readsPausedUntil = until;
                }
                tokens = Math.min(tokens, 0); // ARM's bucket is empty: no burst right after the pause
            }
        } else {
            if (until - writesPausedUntil > 0) {
                writesPausedUntil = until;
            }
        }
    }

    /** The wait a 429 asks for: {@code retry-after-ms}, {@code x-ms-retry-after-ms} or {@code Retry-After}. */
    static Duration retryAfter(HttpResponse r) {
        for (HttpHeaderName h : new HttpHeaderName[]{RETRY_AFTER_MS, X_MS_RETRY_AFTER_MS}) {
            String v = r.getHeaderValue(h);
            if (v != null) {
                try {
                    return Duration.ofMillis(Math.max(0, Long.parseLong(v.trim())));
                } catch (NumberFormatException ignored) {
                    // fall through to the next header
                }
            }
        }
        String v = r.getHeaderValue(HttpHeaderName.RETRY_AFTER);
        if (v != null) {
            try {
                return Duration.ofSeconds(Math.max(0, Long.parseLong(v.trim())));
            } catch (NumberFormatException e) {
                try {
                    OffsetDateTime at = OffsetDateTime.parse(v.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                    Duration d = Duration.between(OffsetDateTime.now(), at);
                    return d.isNegative() ? Duration.ZERO : d;
                } catch (RuntimeException ignored) {
                    // an unreadable header: fall back to a short pause
                }
            }
        }
        return Duration.ofSeconds(1);
    }
}
