package io.mvrefresh.runs;

import io.mvrefresh.vocabulary.ViewId;

/**
 * The cache invalidation a committed refresh owed is done: {@code keys} keys were removed. Fired
 * once per invalidation as a CDI event.
 */
public record RunInvalidated(ViewId view, long runId, long keys) {
}
