package io.mvrefresh.scheduling;

import java.util.List;

/**
 * Views whose picture (state, due time, lag) may have changed, as of one instant. Fired as a CDI
 * event after every change the dispatcher takes in; the per-view gauges observe it.
 */
public record ViewsChanged(List<ViewSnapshot> views) {
}
