package io.flowport.env.cloudrun;

import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.StatusCode;
import io.flowport.core.LaunchException;
import io.flowport.core.TransientException;

import java.util.Set;

/**
 * Maps what is left of a Google API error after the client library's own retries to Flowport's exceptions, by the
 * gRPC status code (never by message text): throttling, unavailability and lost answers become
 * {@link TransientException} (the lifecycle retries them under its deadline), refusals become
 * {@link LaunchException} naming the code and what to fix.
 */
final class GoogleErrors {

    /** Codes that say "try again later"; for a write they also mean "it may or may not have happened". */
    static final Set<StatusCode.Code> TRANSIENT = Set.of(StatusCode.Code.UNAVAILABLE,
            StatusCode.Code.RESOURCE_EXHAUSTED, StatusCode.Code.DEADLINE_EXCEEDED, StatusCode.Code.INTERNAL,
            StatusCode.Code.ABORTED, StatusCode.Code.UNKNOWN, StatusCode.Code.CANCELLED);

    private GoogleErrors() {
    }

    /** The status code of a client library failure, or null if it is not an API error. */
    static StatusCode.Code code(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ApiException a) {
                return a.getStatusCode().getCode();
            }
        }
        return null;
    }

    /** Whether the call may have been applied although no answer says so (the request left, nothing came back). */
    static boolean mayHaveBeenApplied(Throwable e) {
        StatusCode.Code c = code(e);
        // RESOURCE_EXHAUSTED is a quota refusal, checked before anything is done
        return c == null || (TRANSIENT.contains(c) && c != StatusCode.Code.RESOURCE_EXHAUSTED);
    }

    /** The Flowport exception for a failed call described by {@code what} (e.g. "RunJob of flowport-etl"). */
    static RuntimeException map(String what, Throwable e) {
        StatusCode.Code c = code(e);
        String message = message(e);
        if (c == null) {
            return new TransientException(what + " failed without an answer from Cloud Run: " + message, e);
        }
        String text = what + " failed: " + c + ": " + message;
        if (TRANSIENT.contains(c)) {
            // RESOURCE_EXHAUSTED is Google's code for a rate limit or quota
            return new TransientException(text, e, c == StatusCode.Code.RESOURCE_EXHAUSTED);
        }
        return switch (c) {
            case UNAUTHENTICATED -> new LaunchException(what + " failed: Google rejected the credentials (" + c
                    + ": " + message + "); check GOOGLE_APPLICATION_CREDENTIALS, run 'gcloud auth "
                    + "application-default login', or pass working credentials", e);
            case PERMISSION_DENIED -> new LaunchException(what + " failed: permission denied (" + message
                    + "); the README of flowport-env-cloud-run lists the IAM roles needed", e);
            default -> new LaunchException(text, e);
        };
    }

    private static String message(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ApiException a) {
                return a.getMessage();
            }
        }
        return String.valueOf(e.getMessage());
    }
}
