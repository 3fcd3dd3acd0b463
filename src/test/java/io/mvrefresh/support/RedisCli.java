package io.mvrefresh.support;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** {@code redis-cli} against the local Redis, for tests that look at it without the application's client. */
public final class RedisCli {

    private RedisCli() {
    }

    /** Runs one command; answers its output. */
    public static String run(String... args) {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", "6379"));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes()).trim();
            process.waitFor();
            return output;
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", command) + " could not be run", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
