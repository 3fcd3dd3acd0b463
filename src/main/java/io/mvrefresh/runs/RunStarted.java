package io.mvrefresh.runs;

import io.mvrefresh.refresh.RefreshJob;
import java.time.Duration;

/**
 * A queued run took a slot and starts now, after waiting {@code queueWait} since it was queued.
 * Fired once per run as a CDI event.
 */
public record RunStarted(RefreshJob job, Duration queueWait) {
}
