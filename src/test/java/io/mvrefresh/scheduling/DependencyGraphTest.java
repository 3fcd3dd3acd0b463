package io.mvrefresh.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.catalog.CatalogView;
import io.mvrefresh.config.InvalidationRules;
import io.mvrefresh.config.RefreshMode;
import io.mvrefresh.config.Schedule;
import io.mvrefresh.config.ViewSettings;
import io.mvrefresh.vocabulary.Priority;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DependencyGraphTest {

    private static final ViewId A = new ViewId("public", "mv_a");
    private static final ViewId B = new ViewId("public", "mv_b");
    private static final ViewId C = new ViewId("public", "mv_c");

    private static CatalogView view(ViewId id, ViewId... reads) {
        return new CatalogView(id, id.hashCode(), true, true, Set.of(reads), Set.of(), Set.of(), List.of());
    }

    private static ViewSettings dependsOn(ViewId view, ViewId... upstream) {
        return new ViewSettings(view, new Schedule.Every(Duration.ofMinutes(1)), Priority.MEDIUM, RefreshMode.AUTO,
                Duration.ofMinutes(1), Duration.ofSeconds(1), true, Set.of(upstream), InvalidationRules.NONE, true, true);
    }

    @Test
    void shouldRelateEveryViewToItsSourcesAndReadersTransitively() {
        DependencyGraph graph = DependencyGraph.of(List.of(view(A), view(B, A), view(C, B)), id -> dependsOn(id));

        assertThat(graph.upstreamOf(C)).containsExactly(B);
        assertThat(graph.downstreamOf(A)).containsExactly(B);
        assertThat(graph.allDownstreamOf(A)).containsExactlyInAnyOrder(B, C);
        assertThat(graph.allUpstreamOf(C)).containsExactlyInAnyOrder(A, B);
        assertThat(graph.allUpstreamOf(A)).isEmpty();
    }

    @Test
    void shouldIgnoreADependsOnThatClosesACycleThroughTheCatalog() {
        // B reads A in PostgreSQL; "A depends on B" would make each refresh trigger the other forever.
        Map<ViewId, ViewSettings> settings = Map.of(A, dependsOn(A, B), B, dependsOn(B), C, dependsOn(C, A));
        DependencyGraph graph = DependencyGraph.of(List.of(view(A), view(B, A), view(C)), settings::get);

        assertThat(graph.upstreamOf(A)).isEmpty();
        assertThat(graph.downstreamOf(A)).containsExactlyInAnyOrder(B, C);
        assertThat(graph.upstreamOf(C)).containsExactly(A);
    }
}
