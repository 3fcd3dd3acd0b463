package io.mvrefresh.scheduling;

import io.mvrefresh.vocabulary.Trigger;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Idle views by the time they fall due: the first entry is the next wake-up, and finding what is
 * due costs the number of due views, not the number of views.
 */
final class DueIndex {

    private record Key(Instant at, ViewId view) implements Comparable<Key> {

        @Override
        public int compareTo(Key other) {
            int byTime = at.compareTo(other.at);
            return byTime != 0 ? byTime : view.compareTo(other.view);
        }
    }

    private final TreeMap<Key, Trigger> byDue = new TreeMap<>();
    private final Map<ViewId, Key> keys = new HashMap<>();

    /** {@code view} falls due at {@code at}, to be requested with {@code trigger}; replaces what it had. */
    void put(ViewId view, Instant at, Trigger trigger) {
        remove(view);
        Key key = new Key(at, view);
        keys.put(view, key);
        byDue.put(key, trigger);
    }

    void remove(ViewId view) {
        Key key = keys.remove(view);
        if (key != null) {
            byDue.remove(key);
        }
    }

    /** When {@code view} falls due; null when it is not in the index. */
    Instant dueAt(ViewId view) {
        Key key = keys.get(view);
        return key == null ? null : key.at();
    }

    boolean contains(ViewId view) {
        return keys.containsKey(view);
    }

    /** The views due at {@code now}, longest due first. */
    List<SchedulingPolicy.Due> dueBy(Instant now) {
        List<SchedulingPolicy.Due> due = new ArrayList<>();
        for (Map.Entry<Key, Trigger> entry : byDue.entrySet()) {
            if (entry.getKey().at().isAfter(now)) {
                break;
            }
            due.add(new SchedulingPolicy.Due(entry.getKey().view(), entry.getValue()));
        }
        return due;
    }

    /** When the earliest view falls due; empty when none will. */
    Optional<Instant> first() {
        return byDue.isEmpty() ? Optional.empty() : Optional.of(byDue.firstKey().at());
    }
}
