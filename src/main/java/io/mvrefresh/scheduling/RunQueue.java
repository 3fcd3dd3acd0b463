package io.mvrefresh.scheduling;

import io.mvrefresh.vocabulary.Priority;
import io.mvrefresh.vocabulary.ViewId;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Queued runs and the order they start in: the highest aged priority first (configured priority
 * raised one level per {@code aging} waited, and raised as a freshness deadline nears), then the
 * one due longest, then by name. Queued runs sit in one ordered set per configured priority, so
 * the best run is the head of one of four sets, or one of the few with a deadline; runs found
 * waiting for a related view are set aside until one of those changes.
 */
final class RunQueue {

    /**
     * How urgent a queued view's run is beyond its priority.
     *
     * @param deadline when a change it has not caught up with must be in it; null when none
     * @param expected what a refresh of it is expected to take; null before the first
     */
    record Urgency(Instant deadline, Duration expected) {

        static final Urgency NONE = new Urgency(null, null);
    }

    private record Queued(Ticket ticket, Priority priority) {
    }

    static final Comparator<Ticket> BY_WAITING = Comparator.comparing(Ticket::dueAt).thenComparing(Ticket::view);
    private static final Duration EXPECTED_BEFORE_FIRST = Duration.ofSeconds(1);

    private final Duration aging;
    private final Predicate<ViewId> waitsForRelated;
    private final Function<ViewId, Urgency> urgency;
    private final Map<Priority, TreeSet<Ticket>> ready = new EnumMap<>(Priority.class);
    private final Map<ViewId, Queued> byView = new HashMap<>();
    /** Queued runs found waiting for a related view; looked at again when one of those changes. */
    private final Set<Ticket> blocked = new HashSet<>();
    /** Queued runs of views with a freshness target: their deadline may raise them. */
    private final Set<Ticket> withDeadline = new HashSet<>();

    RunQueue(Duration aging, Predicate<ViewId> waitsForRelated, Function<ViewId, Urgency> urgency) {
        this.aging = aging;
        this.waitsForRelated = waitsForRelated;
        this.urgency = urgency;
        for (Priority priority : Priority.values()) {
            ready.put(priority, new TreeSet<>(BY_WAITING));
        }
    }

    /** Queues {@code ticket} of a view configured {@code priority}; {@code hasTarget}: its deadline may raise it. */
    void add(Ticket ticket, Priority priority, boolean hasTarget) {
        byView.put(ticket.view(), new Queued(ticket, priority));
        ready.get(priority).add(ticket);
        if (hasTarget) {
            withDeadline.add(ticket);
        }
    }

    /** Takes {@code ticket} out of the queue (it was dropped); answers whether it was queued. */
    boolean remove(Ticket ticket) {
        Queued queued = byView.get(ticket.view());
        if (queued == null || queued.ticket() != ticket) {
            return false;
        }
        byView.remove(ticket.view());
        blocked.remove(ticket);
        withDeadline.remove(ticket);
        ready.get(queued.priority()).remove(ticket);
        return true;
    }

    /** The queued runs of {@code views} that were set aside may start again. */
    void lookAgainAt(Collection<ViewId> views) {
        if (blocked.isEmpty()) {
            return;
        }
        for (ViewId view : views) {
            Queued queued = byView.get(view);
            if (queued != null && blocked.remove(queued.ticket())) {
                ready.get(queued.priority()).add(queued.ticket());
            }
        }
    }

    /** Every run set aside may start again (the dependency graph changed). */
    void lookAgainAtAll() {
        for (Ticket ticket : blocked) {
            ready.get(byView.get(ticket.view()).priority()).add(ticket);
        }
        blocked.clear();
    }

    /**
     * Takes the best run that waits for no related view out of the queue; null when none may
     * start. {@code criticalOnly}: only views configured critical may (the reserved slots).
     */
    Ticket take(Instant now, boolean criticalOnly) {
        Ticket best = null;
        int bestLevel = -1;
        for (Priority priority : criticalOnly ? List.of(Priority.CRITICAL) : List.of(Priority.values())) {
            Ticket head = firstStartable(ready.get(priority));
            if (head == null) {
                continue;
            }
            int level = level(priority, head, now);
            if (best == null || level > bestLevel || (level == bestLevel && BY_WAITING.compare(head, best) < 0)) {
                best = head;
                bestLevel = level;
            }
        }
        if (!criticalOnly) {
            // A view nearing the deadline of its freshness target may beat the heads of the sets.
            for (Ticket ticket : withDeadline) {
                if (blocked.contains(ticket) || waitsForRelated.test(ticket.view())) {
                    continue;
                }
                int level = level(byView.get(ticket.view()).priority(), ticket, now);
                if (best == null || level > bestLevel || (level == bestLevel && BY_WAITING.compare(ticket, best) < 0)) {
                    best = ticket;
                    bestLevel = level;
                }
            }
        }
        if (best != null) {
            remove(best);
        }
        return best;
    }

    /** The first run of {@code bucket} that waits for no related view; those that do are set aside. */
    private Ticket firstStartable(TreeSet<Ticket> bucket) {
        while (!bucket.isEmpty()) {
            Ticket head = bucket.first();
            if (!waitsForRelated.test(head.view())) {
                return head;
            }
            bucket.pollFirst();
            blocked.add(head);
        }
        return null;
    }

    /**
     * The level a queued run competes at: its configured priority raised one level per
     * {@code aging} waited, and, for a view with a freshness target, raised as the deadline of
     * the change it catches up with nears: one level once the time left is within four expected
     * refreshes, to critical within two.
     */
    int level(Priority priority, Ticket ticket, Instant now) {
        Duration waited = Duration.between(ticket.dueAt(), now);
        long levels = waited.isNegative() ? 0 : waited.toMillis() / Math.max(1, aging.toMillis());
        int top = Priority.CRITICAL.ordinal();
        int aged = (int) Math.min(top, priority.ordinal() + levels);
        Urgency of = urgency.apply(ticket.view());
        if (of.deadline() == null) {
            return aged;
        }
        Duration expected = of.expected() == null ? EXPECTED_BEFORE_FIRST : of.expected();
        Duration left = Duration.between(now, of.deadline());
        if (left.compareTo(expected.multipliedBy(2)) <= 0) {
            return top;
        }
        if (left.compareTo(expected.multipliedBy(4)) <= 0) {
            return Math.max(aged, Math.min(top, priority.ordinal() + 1));
        }
        return aged;
    }

    /** Queued runs of views configured {@code priority}, set aside or not. */
    int count(Priority priority) {
        int waiting = ready.get(priority).size();
        for (Ticket ticket : blocked) {
            if (byView.get(ticket.view()).priority() == priority) {
                waiting++;
            }
        }
        return waiting;
    }
}
