package io.mvrefresh.support;

import java.util.List;
import java.util.Map;

/**
 * Views whose comments tests set ({@code comment_settings}): {@code public.mv_commented} with no
 * properties of its own, {@code public.mv_configured} with some, and a view outside discovery.
 * Shared by the comment-settings and tracing-off tests, so the suite starts one application for both.
 */
public class CommentedViewsProfile extends DatabaseProfile {

    public static final String PREFIX = TestRun.redisPrefix("commented");

    @Override
    protected String redisPrefix() {
        return PREFIX;
    }

    @Override
    protected Map<String, String> settings() {
        return Map.of(
                "mvrefresh.defaults.interval", "1d",
                "mvrefresh.views.\"public.mv_configured\".priority", "critical",
                "mvrefresh.views.\"public.mv_configured\".interval", "2h",
                "mvrefresh.views.\"public.mv_configured\".invalidate.patterns", PREFIX + "configured:*");
    }

    @Override
    protected List<String> fixtures() {
        return List.of("comment_settings");
    }
}
