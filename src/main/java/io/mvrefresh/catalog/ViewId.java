package io.mvrefresh.catalog;

import java.util.Optional;

/**
 * A materialized view's qualified name. The parts are PostgreSQL's own (case kept, unquoted);
 * {@link #quoted()} is the only way a name reaches SQL text.
 */
public record ViewId(String schema, String name) implements Comparable<ViewId> {

    public ViewId {
        if (schema == null || schema.isEmpty() || name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a view needs a schema and a name, got " + schema + "." + name);
        }
    }

    /**
     * Parses {@code schema.name} as written in configuration and URLs. The schema is whatever
     * precedes the first dot, so a view whose name contains a dot can still be addressed.
     */
    public static Optional<ViewId> parse(String qualified) {
        if (qualified == null) {
            return Optional.empty();
        }
        int dot = qualified.indexOf('.');
        if (dot <= 0 || dot == qualified.length() - 1) {
            return Optional.empty();
        }
        return Optional.of(new ViewId(qualified.substring(0, dot), qualified.substring(dot + 1)));
    }

    /** {@code "schema"."name"} with embedded quotes doubled, as PostgreSQL's quote_ident does. */
    public String quoted() {
        return quoteIdentifier(schema) + "." + quoteIdentifier(name);
    }

    private static String quoteIdentifier(String identifier) {
        if (identifier.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("identifier contains a NUL character");
        }
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    @Override
    public int compareTo(ViewId other) {
        int bySchema = schema.compareTo(other.schema);
        return bySchema != 0 ? bySchema : name.compareTo(other.name);
    }

    @Override
    public String toString() {
        return schema + "." + name;
    }
}
