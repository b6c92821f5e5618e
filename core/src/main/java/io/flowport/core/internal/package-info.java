/**
 * Code shared by Flowport modules that is not public API: it may change in any release.
 */
package io.flowport.core.internal;
