/**
 * Not API: code shared by Flowport's own modules (JSON mappers, class-path helpers, flow lookup, processes).
 * It may change or disappear in any release without notice; do not use it from applications. No public
 * signature of Flowport's API shows a type of this package (the build checks).
 */
package io.flowport.core.internal;
