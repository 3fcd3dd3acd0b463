package io.mvrefresh.config;

import io.mvrefresh.vocabulary.ViewId;
import io.quarkus.logging.Log;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The settings in effect for every view: the configuration's, with what each view's comment sets
 * as of the latest catalog scan. A comment whose settings do not all convert leaves its view on
 * its last good settings, marked with the problem (the view shows {@code failing}), and is
 * reported once; the other views are not affected.
 */
public final class SettingsInEffect {

    private final ViewSettingsResolver resolver;
    private final boolean readComments;
    /** Views whose comment has an {@code mvrefresh:} line, with that comment as last read and what it led to. */
    private final Map<ViewId, Commented> commented = new ConcurrentHashMap<>();

    private record Commented(String comment, ViewSettings settings) {
    }

    public SettingsInEffect(ViewSettingsResolver resolver, boolean readComments) {
        this.resolver = resolver;
        this.readComments = readComments;
    }

    /** Settings for any view: its properties, its comment's, the defaults, in that order. */
    public ViewSettings settingsFor(ViewId view) {
        Commented held = commented.get(view);
        return held == null ? resolver.settingsFor(view) : held.settings();
    }

    /** The views named under {@code mvrefresh.views}, with the settings in effect for them. */
    public Collection<ViewSettings> configuredViews() {
        return resolver.configuredViews().keySet().stream().map(this::settingsFor).toList();
    }

    /**
     * Takes the comments of every view mvrefresh manages, as a catalog scan at {@code now} read
     * them (a view left out has none). Only comments that changed since the last scan are read
     * again, so a bad one is reported once.
     */
    public void applyComments(Map<ViewId, String> comments, Instant now) {
        if (!readComments) {
            return;
        }
        commented.keySet().retainAll(comments.keySet());
        comments.forEach((view, comment) -> {
            Commented held = commented.get(view);
            if (held != null && held.comment().equals(comment)) {
                return;
            }
            CommentSettings parsed = CommentSettings.parse(comment);
            if (!parsed.present()) {
                if (commented.remove(view) != null) {
                    Log.infof("view %s: its comment has no mvrefresh: settings any more; back to the configured ones", view);
                }
                return;
            }
            ViewSettingsResolver.CommentResolution resolution = resolver.withComment(view, parsed, now);
            if (resolution.problem().isPresent()) {
                ViewSettings lastGood = held == null ? resolver.settingsFor(view) : held.settings();
                commented.put(view,
                        new Commented(comment, lastGood.from(lastGood.sources().refusing(resolution.problem().get()))));
                Log.warnf("%s; the view keeps its last good settings until the comment is fixed", resolution.problem().get());
                return;
            }
            commented.put(view, new Commented(comment, resolution.settings()));
            Log.infof("view %s: settings from its comment in effect: %s", view, parsed.values().entrySet().stream()
                    .filter(entry -> resolution.settings().sources().of(entry.getKey()) == SettingSources.Source.COMMENT)
                    .map(entry -> entry.getKey() + "=" + entry.getValue()).sorted().toList());
        });
    }
}
