package io.mvrefresh.catalog;

import io.mvrefresh.vocabulary.ViewId;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/** The materialized views mvrefresh manages, as one catalog scan found them. */
public record CatalogSnapshot(Map<ViewId, CatalogView> views, Instant scannedAt) {

    public static final CatalogSnapshot EMPTY = new CatalogSnapshot(Map.of(), Instant.EPOCH);

    public CatalogSnapshot {
        views = Map.copyOf(views);
    }

    public Optional<CatalogView> find(ViewId view) {
        return Optional.ofNullable(views.get(view));
    }
}
