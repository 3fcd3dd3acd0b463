package io.mvrefresh.state;

import java.util.List;

/**
 * View states written since an earlier read, and where the next read starts.
 *
 * @param states the rows written since then (all of them for a first read)
 * @param horizon the oldest transaction still running when they were read: the next read asks for
 *     rows written by it or later ones
 */
public record StateChanges(List<ViewState> states, long horizon) {
}
