package io.mvrefresh.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.catalog.CatalogView;
import io.mvrefresh.vocabulary.ViewId;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ChangeIndexTest {

    private static final ViewId TABLE = new ViewId("public", "facts");
    private static final ViewId SOURCE = new ViewId("public", "mv_source");

    private static CatalogView view(String name, Set<ViewId> upstream, Set<ViewId> tables, Set<Long> oids,
            List<String> blockers) {
        return new CatalogView(new ViewId("public", name), 1000L, true, true, upstream, tables, oids, blockers);
    }

    @Test
    void shouldFindReadersByOidAndByNameAndWatchOnlyWhatCanBeWatched() {
        ChangeIndex index = new ChangeIndex();
        CatalogView targeted = view("mv_targeted", Set.of(), Set.of(TABLE), Set.of(1L), List.of());
        CatalogView plain = view("mv_plain", Set.of(SOURCE), Set.of(), Set.of(2L), List.of());
        CatalogView timeBound = view("mv_today", Set.of(), Set.of(TABLE), Set.of(1L, 3L), List.of("uses CURRENT_DATE"));

        index.rebuild(List.of(new ChangeIndex.Reader(targeted.id(), targeted, true),
                new ChangeIndex.Reader(plain.id(), plain, false), new ChangeIndex.Reader(timeBound.id(), timeBound, true),
                new ChangeIndex.Reader(new ViewId("public", "mv_missing"), null, true)));

        assertThat(index.readersOf(1L)).containsExactlyInAnyOrder(targeted.id(), timeBound.id());
        assertThat(index.readersOf(TABLE)).containsExactlyInAnyOrder(targeted.id(), timeBound.id());
        assertThat(index.readersOf(SOURCE)).containsExactly(plain.id());
        assertThat(index.watched(false)).as("read by watchable views with a target").containsExactly(1L);
        assertThat(index.watched(true)).as("read by every watchable view").containsExactlyInAnyOrder(1L, 2L);
        assertThat(index.readersOf(99L)).isEmpty();
    }
}
