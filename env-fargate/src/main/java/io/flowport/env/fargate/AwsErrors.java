package io.flowport.env.fargate;

import io.flowport.core.LaunchException;
import io.flowport.core.TransientException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

import java.util.Set;

/**
 * Maps AWS SDK errors (after the SDK's own retries) to Flowport's: throttling, 5xx, I/O failures and ECS's
 * "too many concurrent attempts" become {@link TransientException} (the lifecycle retries them under its
 * deadline); refusals become {@link LaunchException} with the AWS error code and message.
 */
final class AwsErrors {

    static final Set<String> CREDENTIAL_CODES = Set.of("InvalidClientTokenId", "UnrecognizedClientException",
            "ExpiredToken", "ExpiredTokenException", "SignatureDoesNotMatch", "InvalidSignatureException",
            "IncompleteSignature", "MissingAuthenticationToken", "AuthFailure", "InvalidAccessKeyId");
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
                return new TransientException(text, e);
            }
            if (CREDENTIAL_CODES.contains(code)) {
                return new LaunchException(what + " failed: AWS rejected the credentials (" + code + ": " + message
                        + "); check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, the profile, or "
                        + "awsAccessKeyId/awsSecretAccessKey, and renew expired session credentials", e);
            }
            if ("AccessDenied".equals(code) || "AccessDeniedException".equals(code)) {
                return new LaunchException(what + " failed: access denied (" + message + "); the README of "
                        + "flowport-env-fargate lists the IAM permissions needed", e);
            }
            return new LaunchException(text, e);
        }
        if (e instanceof SdkClientException && isCredentialsProblem(e)) {
            return new LaunchException(what + " failed: no usable AWS credentials (" + e.getMessage() + "); set "
                    + "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, or awsAccessKeyId/"
                    + "awsSecretAccessKey", e);
        }
        // no answer (connection refused or reset, timeout): the request may or may not have been applied,
        // which is why every mutating call Flowport makes is idempotent
        return new TransientException(what + " failed without an answer from AWS: " + e.getMessage(), e);
    }

    static boolean isTransient(AwsServiceException a) {
        String code = code(a);
        return a.isThrottlingException() || a.statusCode() >= 500 || TRANSIENT_CODES.contains(code)
                || (a.getMessage() != null && a.getMessage().contains("Too many concurrent attempts"));
    }

    static String code(AwsServiceException a) {
        return a.awsErrorDetails() == null || a.awsErrorDetails().errorCode() == null ? "Unknown"
                : a.awsErrorDetails().errorCode();
    }

    private static boolean isCredentialsProblem(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("Unable to load credentials") || m.contains("credentials"))) {
                return true;
            }
        }
        return false;
    }
}
