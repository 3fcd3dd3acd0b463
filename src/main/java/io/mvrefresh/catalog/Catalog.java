package io.mvrefresh.catalog;

import io.mvrefresh.config.GlobalSettings;
import io.mvrefresh.config.ViewSettingsResolver;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The views mvrefresh manages: discovered ones that pass the include/exclude globs, plus every
 * configured one that exists. Holds the latest scan; {@link #rescan} replaces it.
 */
@ApplicationScoped
public class Catalog {

    private final CatalogReader reader;
    private final Clock clock;
    private final List<String> schemas;
    private final ViewFilter filter;
    private final Set<ViewId> configured;
    private volatile CatalogSnapshot current = CatalogSnapshot.EMPTY;
    private volatile boolean scannedOnce;

    public Catalog(CatalogReader reader, Clock clock, GlobalSettings config, ViewSettingsResolver settings) {
        this.reader = reader;
        this.clock = clock;
        this.configured = Set.copyOf(settings.configuredViews().keySet());
        this.schemas = List.copyOf(config.discovery().schemas());
        this.filter = new ViewFilter(config.discovery().include(), config.discovery().exclude());
    }

    /** Scans the catalog again; configured views are kept whatever the globs say. */
    public Uni<CatalogSnapshot> rescan() {
        return reader.read(schemas, configured).map(found -> {
            Map<ViewId, CatalogView> kept = new HashMap<>();
            found.forEach((id, view) -> {
                if (configured.contains(id) || (schemas.contains(id.schema()) && filter.accepts(id))) {
                    kept.put(id, view);
                }
            });
            CatalogSnapshot previous = current;
            CatalogSnapshot next = new CatalogSnapshot(kept, clock.instant());
            logChanges(previous, next);
            current = next;
            scannedOnce = true;
            return next;
        });
    }

    private void logChanges(CatalogSnapshot previous, CatalogSnapshot next) {
        Set<ViewId> added = new HashSet<>(next.views().keySet());
        added.removeAll(previous.views().keySet());
        Set<ViewId> removed = new HashSet<>(previous.views().keySet());
        removed.removeAll(next.views().keySet());
        if (!scannedOnce) {
            Log.infof("catalog: found %d materialized view(s): %s", next.views().size(),
                    next.views().keySet().stream().sorted().toList());
            return;
        }
        added.stream().sorted().forEach(v -> Log.infof("catalog: materialized view %s appeared", v));
        removed.stream().sorted().forEach(v -> Log.infof("catalog: materialized view %s disappeared", v));
    }
}
