package io.mvrefresh.scheduling;

import io.mvrefresh.vocabulary.ViewId;
import java.util.List;

/**
 * What a catalog scan changed, for the log.
 *
 * @param missing configured views that do not exist (newly so)
 * @param ignoredDependsOn depends-on entries left out because they would close a cycle
 */
public record CatalogChanges(List<ViewId> appeared, List<ViewId> disappeared, List<ViewId> missing,
        List<String> ignoredDependsOn) {
}
