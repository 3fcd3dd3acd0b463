package io.mvrefresh.state;

import io.mvrefresh.vocabulary.SkipReason;
import io.mvrefresh.vocabulary.ViewId;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;

/** Conversions between the state tables' rows and mvrefresh's values, shared by the stores of this package. */
final class Rows {

    private Rows() {
    }

    static Optional<ViewState> onlyState(RowSet<Row> rows) {
        return rows.size() == 0 ? Optional.empty() : toState(rows.iterator().next());
    }

    static Optional<ViewState> toState(Row row) {
        String lastSkip = row.getString("last_skip_reason");
        SkipCounts skips = new SkipCounts(row.getLong("skips_unchanged"), row.getLong("skips_locked_elsewhere"),
                row.getLong("skips_paused"), instant(row, "last_skip_at"),
                lastSkip == null ? null : SkipReason.fromLabel(lastSkip));
        return viewOf(row).map(id -> new ViewState(id, instant(row, "last_success_at"), instant(row, "last_verified_at"),
                instant(row, "last_attempt_at"), row.getInteger("consecutive_failures"), row.getBoolean("paused"),
                row.getLong("revision"), skips, instant(row, "last_success_started_at"), instant(row, "cascade_owed_at")));
    }

    /** Rows carry schema and name apart; rows from before that was stored only have the joined text. */
    static Optional<ViewId> viewOf(Row row) {
        String schema = row.getString("schema_name");
        String name = row.getString("view_name");
        if (schema != null && !schema.isEmpty() && name != null && !name.isEmpty()) {
            return Optional.of(new ViewId(schema, name));
        }
        return ViewId.parse(row.getString("view"));
    }

    static OffsetDateTime timestamp(Instant instant) {
        return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    static Instant instant(Row row, String column) {
        OffsetDateTime value = row.getOffsetDateTime(column);
        return value == null ? null : value.toInstant();
    }
}
