package io.mvrefresh.scheduling;

import java.time.Instant;

/**
 * Why a view is in the state it is in, for an operator: {@code GET /admin/views} carries it.
 *
 * @param reason one of {@code due}, {@code scheduled}, {@code running}, {@code queued},
 *     {@code waiting-for-source}, {@code min-interval}, {@code locked-elsewhere}, {@code retrying},
 *     {@code unchanged}, {@code paused}, {@code disabled}, {@code missing}, {@code failing}
 * @param message the same in a sentence, with the names and numbers involved
 * @param until the instant the state ends, where one is known; null otherwise
 */
public record Why(String reason, String message, Instant until) {
}
