package io.mvrefresh.config;

import java.util.List;

/** Startup stops with this when a setting is wrong; the message lists every bad key and value. */
public class InvalidConfigurationException extends RuntimeException {

    private final List<String> problems;

    public InvalidConfigurationException(List<String> problems) {
        super("Invalid mvrefresh configuration, fix these settings and restart:\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    /** One line per bad setting, each naming its key and value. */
    public List<String> problems() {
        return problems;
    }
}
