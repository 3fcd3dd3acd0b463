package io.mvrefresh.catalog;

import io.mvrefresh.vocabulary.ViewId;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Discovery's include/exclude globs. A glob with a dot is matched against {@code schema.name},
 * one without against the view name alone, so {@code mv_*} and {@code reporting.*} both work.
 */
public final class ViewFilter {

    private final List<Glob> include;
    private final List<Glob> exclude;

    public ViewFilter(List<String> include, List<String> exclude) {
        this.include = include.stream().map(Glob::new).toList();
        this.exclude = exclude.stream().map(Glob::new).toList();
    }

    /** Whether discovery keeps {@code view}. */
    public boolean accepts(ViewId view) {
        return include.stream().anyMatch(g -> g.matches(view)) && exclude.stream().noneMatch(g -> g.matches(view));
    }

    private record Glob(boolean qualified, Pattern pattern) {

        Glob(String glob) {
            this(glob.indexOf('.') >= 0, toRegex(glob.trim()));
        }

        boolean matches(ViewId view) {
            return pattern.matcher(qualified ? view.toString() : view.name()).matches();
        }

        private static Pattern toRegex(String glob) {
            StringBuilder regex = new StringBuilder();
            for (char ch : glob.toCharArray()) {
                switch (ch) {
                    case '*' -> regex.append(".*");
                    case '?' -> regex.append('.');
                    default -> regex.append(Pattern.quote(String.valueOf(ch)));
                }
            }
            return Pattern.compile(regex.toString(), Pattern.DOTALL);
        }
    }
}
