package io.mvrefresh.support;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;

/** What the servers the tests start themselves share: a free port, waiting for one, their directory gone. */
public final class LocalServers {

    private LocalServers() {
    }

    /** A loopback port nobody listens on right now. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until something listens on {@code port} ({@code listening}) or nothing does; false when it did not in time or {@code alive} says the server is gone. */
    public static boolean awaitPort(int port, boolean listening, Duration within, BooleanSupplier alive) {
        AtomicBoolean reached = new AtomicBoolean();
        try {
            await().atMost(within).pollInterval(Duration.ofMillis(20)).until(() -> {
                reached.set(accepting(port) == listening);
                return reached.get() || !alive.getAsBoolean();
            });
        } catch (ConditionTimeoutException e) {
            return false;
        }
        return reached.get();
    }

    private static boolean accepting(int port) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Deletes {@code directory} and everything in it; a temporary directory left behind is harmless. */
    public static void deleteTree(Path directory) {
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // Left behind.
        }
    }
}
