package io.mvrefresh.admin;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** Every admin API error: {@code {"error": "..."}}. */
@RegisterForReflection
public record ErrorBody(String error) {
}
