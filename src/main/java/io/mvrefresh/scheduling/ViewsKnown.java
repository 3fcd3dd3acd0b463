package io.mvrefresh.scheduling;

import io.mvrefresh.vocabulary.ViewId;
import java.util.Set;

/**
 * Every view known after a catalog scan: what is not among them is gone, and so are its per-view
 * series. Fired as a CDI event after every scan.
 */
public record ViewsKnown(Set<ViewId> views) {
}
