package io.mvrefresh.vocabulary;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ViewIdTest {

    @Test
    void shouldReadAndWritePlainNamesAsSchemaDotName() {
        assertThat(ViewId.parse("public.mv_daily")).contains(new ViewId("public", "mv_daily"));
        assertThat(new ViewId("public", "mv_daily")).hasToString("public.mv_daily");
        assertThat(ViewId.parse("Reporting.MV_Daily")).as("no case folding").contains(new ViewId("Reporting", "MV_Daily"));
    }

    @Test
    void shouldQuoteOnlyThePartsThatContainADotOrAQuote() {
        ViewId dottedSchema = new ViewId("my.schema", "mv");
        ViewId dottedName = new ViewId("my", "schema.mv");
        ViewId quoted = new ViewId("odd\"schema", "mv");

        assertThat(dottedSchema).hasToString("\"my.schema\".mv");
        assertThat(dottedName).hasToString("my.\"schema.mv\"");
        assertThat(quoted).hasToString("\"odd\"\"schema\".mv");
        for (ViewId view : new ViewId[]{dottedSchema, dottedName, quoted, new ViewId("public", "mv")}) {
            assertThat(ViewId.parse(view.toString())).as(view.toString()).contains(view);
        }
        assertThat(ViewId.parse("\"public\".\"mv\"")).contains(new ViewId("public", "mv"));
    }

    @Test
    void shouldRejectAmbiguousOrIncompleteNames() {
        for (String bad : new String[]{"mv_only", "my.schema.mv", ".mv", "public.", "\"open.mv", "public.\"\"", "a.b\"c", "",
                "  "}) {
            assertThat(ViewId.parse(bad)).as(bad).isEmpty();
        }
    }

    @Test
    void shouldQuoteIdentifiersForSqlAlways() {
        assertThat(new ViewId("my.schema", "mv \"x\"").quoted()).isEqualTo("\"my.schema\".\"mv \"\"x\"\"\"");
    }
}
