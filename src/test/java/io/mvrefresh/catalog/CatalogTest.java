package io.mvrefresh.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Postgres;
import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(CatalogTest.Profile.class)
class CatalogTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of(
                    // Nothing refreshes here: the catalog is observed exactly as the fixtures left it.
                    "mvrefresh.defaults.enabled", "false",
                    "mvrefresh.discovery.exclude", "mv_expression_*",
                    "mvrefresh.views.\"reporting.mv_brand_count\".priority", "low",
                    "mvrefresh.views.\"public.mv_not_created_yet\".priority", "high");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("index_variants", "foreign_partition");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());

    @Inject
    CatalogReader reader;

    @Inject
    Catalog catalog;

    @Inject
    Dispatcher dispatcher;

    @Inject
    io.vertx.mutiny.sqlclient.Pool pool;

    @BeforeAll
    static void leaveAnInvalidIndex() {
        try {
            POSTGRES.execute("CREATE UNIQUE INDEX CONCURRENTLY mv_invalid_key_idx ON mv_invalid_key (brand)");
        } catch (IllegalStateException expected) {
            // Duplicate brands make it fail, which leaves the index behind with indisvalid = false.
        }
        assertThat(POSTGRES.value("SELECT indisvalid FROM pg_index WHERE indexrelid = 'mv_invalid_key_idx'::regclass"))
                .isEqualTo(false);
    }

    @org.junit.jupiter.api.BeforeEach
    void applicationStarted() {
        io.mvrefresh.support.Refreshes.awaitStarted();
    }

    private Map<ViewId, CatalogView> readAll() {
        return reader.read(List.of("public", "reporting"), Set.of()).await().atMost(Duration.ofSeconds(10));
    }

    private static ViewId view(String name) {
        return new ViewId("public", name);
    }

    @Test
    void shouldReportConcurrentEligibilityForTheStarSchemaViews() {
        Map<ViewId, CatalogView> views = readAll();

        assertThat(views.get(view("mv_brand_daily_metrics")).concurrentlyEligible()).isTrue();
        assertThat(views.get(view("mv_brand_rankings")).concurrentlyEligible()).isTrue();
        assertThat(views.get(view("mv_brand_latest_summary")).concurrentlyEligible()).isTrue();

        CatalogView summary = views.get(view("mv_metric_summary"));
        assertThat(summary.populated()).isTrue();
        assertThat(summary.hasUsableUniqueIndex()).isFalse();
        assertThat(summary.concurrentlyIneligibleReason()).contains("no usable unique index");

        CatalogView weekly = views.get(view("mv_sentiment_weekly"));
        assertThat(weekly.populated()).isFalse();
        assertThat(weekly.hasUsableUniqueIndex()).isTrue();
        assertThat(weekly.concurrentlyEligible()).isFalse();
        assertThat(weekly.concurrentlyIneligibleReason()).contains("not populated");
    }

    @Test
    void shouldApplyPostgresRulesForUsableUniqueIndexes() {
        Map<ViewId, CatalogView> views = readAll();

        assertThat(views.get(view("mv_expression_key")).hasUsableUniqueIndex()).as("expression column").isFalse();
        assertThat(views.get(view("mv_partial_key")).hasUsableUniqueIndex()).as("predicate").isFalse();
        assertThat(views.get(view("mv_non_unique_key")).hasUsableUniqueIndex()).as("not unique").isFalse();
        assertThat(views.get(view("mv_invalid_key")).hasUsableUniqueIndex()).as("invalid index").isFalse();
        assertThat(views.get(view("mv_include_key")).hasUsableUniqueIndex()).as("INCLUDE columns").isTrue();
        assertThat(views.get(view("mv_one_usable_key")).hasUsableUniqueIndex()).as("one usable among others").isTrue();
    }

    @Test
    void shouldAgreeWithPostgresAboutWhichViewsAcceptConcurrently() {
        // The catalog's verdict must be PostgreSQL's own: try CONCURRENTLY on every view.
        readAll().forEach((id, catalogView) -> {
            boolean accepted;
            try {
                POSTGRES.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY " + id.quoted());
                accepted = true;
            } catch (IllegalStateException refused) {
                accepted = false;
            }
            assertThat(accepted).as("CONCURRENTLY accepted for %s", id).isEqualTo(catalogView.concurrentlyEligible());
        });
    }

    @Test
    void shouldFindUpstreamViewsDirectlyAndThroughPlainViews() {
        Map<ViewId, CatalogView> views = readAll();

        assertThat(views.get(view("mv_brand_daily_metrics")).upstreamViews()).isEmpty();
        assertThat(views.get(view("mv_brand_daily_metrics")).baseRelations())
                .containsExactlyInAnyOrder(view("metric_facts"), view("brand_metrics"), view("brand_sentiment"));
        assertThat(views.get(view("mv_brand_rankings")).upstreamViews()).containsExactly(view("mv_brand_daily_metrics"));
        assertThat(views.get(view("mv_brand_latest_summary")).upstreamViews())
                .as("read through the plain view v_brand_latest_day")
                .containsExactly(view("mv_brand_daily_metrics"));
        assertThat(views.get(view("mv_metric_summary")).upstreamViews()).isEmpty();
    }

    @Test
    void shouldMergeDiscoveredAndConfiguredViews() {
        CatalogSnapshot snapshot = catalog.rescan().await().atMost(Duration.ofSeconds(10));

        assertThat(snapshot.views()).containsKey(new ViewId("reporting", "mv_brand_count"))
                .as("configured views are found outside the discovery schemas")
                .containsKey(view("mv_brand_daily_metrics"))
                .doesNotContainKey(view("mv_expression_key"));
        assertThat(dispatcher.snapshot(new ViewId("public", "mv_not_created_yet")))
                .hasValueSatisfying(status -> assertThat(status.status().label()).isEqualTo("missing"));
        assertThat(dispatcher.snapshot(new ViewId("reporting", "mv_brand_count")))
                .hasValueSatisfying(status -> assertThat(status.settings().priority().label()).isEqualTo("low"));
    }

    @Test
    void shouldNotWatchAViewOverATableWithAForeignPartition() {
        CatalogView view = rescanOf("public").get(view("mv_shipment_counts"));

        assertThat(view.changeDetectable()).isFalse();
        assertThat(view.changeDetectionBlockers()).singleElement().asString().contains("public.shipments_us")
                .contains("does not count");
        assertThat(view.baseRelations()).contains(view("shipments"), view("shipments_us"));
    }

    @Test
    void shouldPickUpViewsCreatedAfterStartOnRescan() {
        POSTGRES.execute("CREATE MATERIALIZED VIEW mv_created_later AS SELECT 1 AS one");

        catalog.rescan().invoke(dispatcher::applyCatalog).await().atMost(Duration.ofSeconds(10));

        assertThat(dispatcher.snapshot(view("mv_created_later"))).isPresent();
        POSTGRES.execute("DROP MATERIALIZED VIEW mv_created_later");
        catalog.rescan().invoke(dispatcher::applyCatalog).await().atMost(Duration.ofSeconds(10));
        assertThat(dispatcher.snapshot(view("mv_created_later"))).isEmpty();
    }

    private Map<ViewId, CatalogView> rescanOf(String schema) {
        return rescanOf(reader, schema);
    }

    private static Map<ViewId, CatalogView> rescanOf(CatalogReader scanner, String schema) {
        return scanner.read(List.of(schema), Set.of()).await().atMost(Duration.ofSeconds(10));
    }

    private static ViewId in(String name) {
        return new ViewId("rescan", name);
    }

    @Test
    void shouldWalkAgainOnlyWhatChangedYetMissNoChange() {
        // A reader of its own: the application's periodic rescan (other schemas) shares nothing with it.
        CatalogReader scanner = new CatalogReader(pool);
        POSTGRES.execute(
                """
                        CREATE SCHEMA rescan;
                        CREATE TABLE rescan.first (id int PRIMARY KEY);
                        CREATE TABLE rescan.second (id int PRIMARY KEY);
                        CREATE VIEW rescan.plain AS SELECT id FROM rescan.first;
                        CREATE FUNCTION rescan.counted() RETURNS bigint LANGUAGE sql STABLE BEGIN ATOMIC SELECT count(*) FROM rescan.first; END;
                        CREATE MATERIALIZED VIEW rescan.mv_through_view AS SELECT id FROM rescan.plain;
                        CREATE MATERIALIZED VIEW rescan.mv_through_function AS SELECT rescan.counted() AS n;
                        """);
        Map<ViewId, CatalogView> views = rescanOf(scanner, "rescan");
        assertThat(views.get(in("mv_through_view")).baseRelations()).containsExactly(in("first"));
        assertThat(views.get(in("mv_through_function")).baseRelations()).containsExactly(in("first"));
        assertThat(views.get(in("mv_through_function")).changeDetectionBlockers()).isEmpty();
        assertThat(rescanOf(scanner, "rescan")).as("nothing changed, the same answer").isEqualTo(views);
        assertThat(scanner.walkedInLastRead()).as("views walked again when nothing changed").isZero();

        // A plain view replaced to read another table: only the view reading it is walked again.
        POSTGRES.execute("CREATE OR REPLACE VIEW rescan.plain AS SELECT id FROM rescan.second");
        assertThat(rescanOf(scanner, "rescan").get(in("mv_through_view")).baseRelations()).containsExactly(in("second"));
        assertThat(scanner.walkedInLastRead()).isEqualTo(1);

        // A function body replaced: another table, and now a time function too.
        POSTGRES.execute("CREATE OR REPLACE FUNCTION rescan.counted() RETURNS bigint LANGUAGE sql STABLE"
                + " BEGIN ATOMIC SELECT count(*) FROM rescan.second WHERE now() > '2000-01-01'; END");
        CatalogView function = rescanOf(scanner, "rescan").get(in("mv_through_function"));
        assertThat(scanner.walkedInLastRead()).as("only the view calling the function").isEqualTo(1);
        assertThat(function.baseRelations()).containsExactly(in("second"));
        assertThat(function.changeDetectionBlockers()).anyMatch(reason -> reason.contains("now()"));

        // A table read renamed.
        POSTGRES.execute("ALTER TABLE rescan.second RENAME TO renamed");
        views = rescanOf(scanner, "rescan");
        assertThat(views.get(in("mv_through_view")).baseRelations()).containsExactly(in("renamed"));
        assertThat(views.get(in("mv_through_function")).baseRelations()).containsExactly(in("renamed"));

        // A unique index added, a view created, one dropped, one dropped and created again reading something else.
        POSTGRES.execute("""
                CREATE UNIQUE INDEX ON rescan.mv_through_view (id);
                CREATE MATERIALIZED VIEW rescan.mv_new AS SELECT id FROM rescan.first;
                DROP MATERIALIZED VIEW rescan.mv_through_function;
                CREATE MATERIALIZED VIEW rescan.mv_again AS SELECT 1 AS one;
                """);
        views = rescanOf(scanner, "rescan");
        assertThat(views.get(in("mv_through_view")).hasUsableUniqueIndex()).isTrue();
        assertThat(views).containsKeys(in("mv_new"), in("mv_again")).doesNotContainKey(in("mv_through_function"));
        assertThat(views.get(in("mv_new")).baseRelations()).containsExactly(in("first"));
        POSTGRES.execute(
                "DROP MATERIALIZED VIEW rescan.mv_again; CREATE MATERIALIZED VIEW rescan.mv_again AS SELECT id FROM rescan.renamed");
        assertThat(rescanOf(scanner, "rescan").get(in("mv_again")).baseRelations()).containsExactly(in("renamed"));
    }
}
