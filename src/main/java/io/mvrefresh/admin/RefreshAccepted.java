package io.mvrefresh.admin;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** The answer to a forced refresh that has not finished (yet). */
@RegisterForReflection
public record RefreshAccepted(long runId, String view, String status) {
}
