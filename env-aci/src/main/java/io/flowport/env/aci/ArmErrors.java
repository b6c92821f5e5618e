package io.flowport.env.aci;

import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.exception.HttpResponseException;
import com.azure.core.management.exception.ManagementException;
import io.flowport.core.LaunchException;
import io.flowport.core.TransientException;

import java.util.Set;

/**
 * Maps what the Azure SDK throws (after its own retries) to Flowport's exceptions, by HTTP status and ARM error
 * code, never by message text: throttling, 5xx, conflicts with an operation in progress and calls without an
 * answer become {@link TransientException} (retried by the lifecycle under its deadline); refusals become
 * {@link LaunchException} with the ARM code and what to do.
 */
final class ArmErrors {

    /** ARM/ACI error codes that go away by themselves. */
    static final Set<String> TRANSIENT_CODES = Set.of("TooManyRequests", "SubscriptionRequestsThrottled",
            "TenantRequestsThrottled", "ResourceRequestsThrottled", "RetryableError", "ServiceUnavailable",
            "InternalServerError", "GatewayTimeout", "AnotherOperationInProgress", "OperationNotAllowed",
            "ContainerGroupTransitioning", "Conflict", "ResourceRequestsNotAvailable");
    static final Set<String> CREDENTIAL_CODES = Set.of("InvalidAuthenticationToken",
            "InvalidAuthenticationTokenTenant", "ExpiredAuthenticationToken", "AuthenticationFailed");
    static final Set<String> DENIED_CODES = Set.of("AuthorizationFailed", "LinkedAuthorizationFailed");

    private ArmErrors() {
    }

    /** The ARM error code of an SDK exception, or null. */
    static String code(Throwable e) {
        if (e instanceof ManagementException m && m.getValue() != null) {
            return m.getValue().getCode();
        }
        return null;
    }

    /** The HTTP status of an SDK exception, or -1 when there was no answer. */
    static int status(Throwable e) {
        if (e instanceof HttpResponseException h && h.getResponse() != null) {
            return h.getResponse().getStatusCode();
        }
        return -1;
    }

    /** Whether {@code e} says the resource does not exist. */
    static boolean isNotFound(Throwable e) {
        return status(e) == 404;
    }

    static boolean isTransient(Throwable e) {
        int status = status(e);
        String code = code(e);
        if (status == 429 || status == 408 || status >= 500) {
            return true;
        }
        if (status == 409 && (code == null || TRANSIENT_CODES.contains(code))) {
            return true;
        }
        return status < 0 && !(e instanceof ClientAuthenticationException) && !isCredentialUnavailable(e);
    }

    /** The Flowport exception for a failed call described by {@code what} (e.g. "create of container group x"). */
    static RuntimeException map(String what, RuntimeException e) {
        if (e instanceof io.flowport.core.FlowportException) {
            return e;
        }
        int status = status(e);
        String code = code(e);
        String message = e instanceof ManagementException m && m.getValue() != null && m.getValue().getMessage() != null
                ? m.getValue().getMessage() : e.getMessage();
        if (status >= 0) {
            String text = what + " failed: " + (code == null ? "" : code + ": ") + message + " (HTTP " + status + ")";
            if (isTransient(e)) {
                return new TransientException(text, e, status == 429);
            }
            if (status == 401 || CREDENTIAL_CODES.contains(code)) {
                return new LaunchException(what + " failed: Azure rejected the credential (" + code + ": " + message
                        + "); check AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, the managed or workload "
                        + "identity, or `az login`", e);
            }
            if (status == 403 || DENIED_CODES.contains(code)) {
                return new LaunchException(what + " failed: access denied (" + code + ": " + message + "); the "
                        + "identity needs the role described in the README of flowport-env-aci (Contributor on the "
                        + "resource group, or the custom role's actions)", e);
            }
            if ("ResourceGroupNotFound".equals(code)) {
                return new LaunchException(what + " failed: " + code + ": " + message + "; create the resource "
                        + "group or set resourceGroup", e);
            }
            if ("MissingSubscriptionRegistration".equals(code)) {
                return new LaunchException(what + " failed: the subscription is not registered for "
                        + "Microsoft.ContainerInstance; run `az provider register -n Microsoft.ContainerInstance`", e);
            }
            return new LaunchException(text, e);
        }
        if (e instanceof ClientAuthenticationException || isCredentialUnavailable(e)) {
            return new LaunchException(what + " failed: no usable Azure credential (" + e.getMessage() + "); set "
                    + "AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, use a managed or workload identity, "
                    + "`az login`, or pass a credential", e);
        }
        // no answer (connection refused or reset, timeout): the call may or may not have been applied, which is
        // why a create is only ever sent after a read showed the group does not exist
        return new TransientException(what + " failed without an answer from Azure Resource Manager: " + e, e);
    }

    /** Whether a credential failed to give a token (CredentialUnavailableException is one of these). */
    private static boolean isCredentialUnavailable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ClientAuthenticationException) {
                return true;
            }
        }
        return false;
    }
}
