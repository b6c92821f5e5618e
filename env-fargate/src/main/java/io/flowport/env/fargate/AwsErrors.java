package io.flowport.env.fargate;

import io.flowport.core.LaunchException;
import io.flowport.core.TransientException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkException;

import java.io.IOException;
import java.util.Set;

/**
 * Maps AWS SDK errors (after the SDK's own retries) to Flowport's, by what AWS says in machine-readable form
 * only: the error code ({@code awsErrorDetails().errorCode()}), the SDK's throttling classification, the HTTP
 * status and the exception type. Message text is never matched: it is for people and AWS changes it.
 *
 * <ul>
 *   <li>throttling, 5xx and the retryable codes below, and calls that got no answer (I/O errors, timeouts) become
 *       {@link TransientException} (the lifecycle retries them under its deadline);</li>
 *   <li>rejected or expired credentials and access denials become {@link LaunchException} saying what to fix;</li>
 *   <li>other refusals become {@link LaunchException} with the AWS error code and message.</li>
 * </ul>
 */
final class AwsErrors {

    /** Where credentials come from, for messages about missing or rejected ones. */
    static final String CREDENTIALS_COME_FROM = "credentials come from the AWS SDK's default chain (the "
            + "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN environment variables, a profile, web "
            + "identity, the container or instance role) or, in code, from FargateTaskEnvironment.builder()"
            + ".credentialsProvider(...) or awsAccessKeyId(...)/awsSecretAccessKey(...)";

    static final Set<String> CREDENTIAL_CODES = Set.of("InvalidClientTokenId", "UnrecognizedClientException",
            "ExpiredToken", "ExpiredTokenException", "SignatureDoesNotMatch", "InvalidSignatureException",
            "IncompleteSignature", "MissingAuthenticationToken", "AuthFailure", "InvalidAccessKeyId");
    private static final Set<String> ACCESS_DENIED_CODES = Set.of("AccessDenied", "AccessDeniedException");
    private static final Set<String> TRANSIENT_CODES = Set.of("ServerException", "ServiceUnavailable",
            "ServiceUnavailableException", "InternalFailure", "InternalError", "InternalServerError",
            "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", "SlowDown",
            "EC2ThrottledException", "RequestLimitExceeded", "RequestThrottled", "TooManyRequestsException",
            "ThrottlingException", "Throttling");

    private AwsErrors() {
    }

    /** The Flowport exception for a failed AWS call described by {@code what} (e.g. "RunTask"). */
    static RuntimeException map(String what, SdkException e) {
        if (e instanceof AwsServiceException a) {
            String code = code(a);
            String message = a.awsErrorDetails() != null && a.awsErrorDetails().errorMessage() != null
                    ? a.awsErrorDetails().errorMessage() : a.getMessage();
            String text = what + " failed: " + code + ": " + message + " (HTTP " + a.statusCode() + ")";
            if (isTransient(a)) {
                // the SDK's own classification of throttling (error codes and HTTP 429), for metrics
                return new TransientException(text, e, a.isThrottlingException());
            }
            if (CREDENTIAL_CODES.contains(code)) {
                return new LaunchException(what + " failed: AWS rejected the credentials (" + code + ": " + message
                        + "); check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, the profile, or "
                        + "awsAccessKeyId/awsSecretAccessKey, and renew expired session credentials", e);
            }
            if (ACCESS_DENIED_CODES.contains(code)) {
                return new LaunchException(what + " failed: access denied (" + code + ": " + message + "); the "
                        + "README of flowport-env-fargate lists the IAM permissions needed", e);
            }
            return new LaunchException(text, e);
        }
        if (gotNoAnswer(e)) {
            // the request may or may not have been applied, which is why every mutating call Flowport makes
            // is idempotent
            return new TransientException(what + " failed without an answer from AWS: " + e.getMessage(), e);
        }
        // the SDK gave up before sending anything: no credentials found, no region, a request it cannot build
        return new LaunchException(what + " failed before reaching AWS: " + e.getMessage() + " (" + CREDENTIALS_COME_FROM
                + ")", e);
    }

    /** Throttling (the SDK's classification), 5xx and the codes AWS documents as retryable. */
    static boolean isTransient(AwsServiceException a) {
        return a.isThrottlingException() || a.statusCode() >= 500 || TRANSIENT_CODES.contains(code(a));
    }

    /** Whether the call ended without an answer from AWS: a timeout or an I/O error somewhere in the causes. */
    static boolean gotNoAnswer(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IOException || t instanceof ApiCallAttemptTimeoutException
                    || t instanceof ApiCallTimeoutException) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /** The AWS error code, or {@code Unknown} when the answer carried none. */
    static String code(AwsServiceException a) {
        return a.awsErrorDetails() == null || a.awsErrorDetails().errorCode() == null ? "Unknown"
                : a.awsErrorDetails().errorCode();
    }
}
