package io.mvrefresh.catalog;

import io.mvrefresh.vocabulary.Glob;
import io.mvrefresh.vocabulary.ViewId;
import java.util.List;

/**
 * Discovery's include/exclude globs. A glob with a dot is matched against {@code schema.name},
 * one without against the view name alone, so {@code mv_*} and {@code reporting.*} both work.
 */
public final class ViewFilter {

    private final List<ViewGlob> include;
    private final List<ViewGlob> exclude;

    public ViewFilter(List<String> include, List<String> exclude) {
        this.include = include.stream().map(ViewGlob::new).toList();
        this.exclude = exclude.stream().map(ViewGlob::new).toList();
    }

    /** Whether discovery keeps {@code view}. */
    public boolean accepts(ViewId view) {
        return include.stream().anyMatch(g -> g.matches(view)) && exclude.stream().noneMatch(g -> g.matches(view));
    }

    private record ViewGlob(boolean qualified, Glob glob) {

        ViewGlob(String glob) {
            this(glob.indexOf('.') >= 0, new Glob(glob.trim()));
        }

        boolean matches(ViewId view) {
            return glob.matches(qualified ? view.toString() : view.name());
        }
    }
}
