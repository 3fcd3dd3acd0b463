package io.mvrefresh.support;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** The records one logger writes while the test runs, as "LEVEL message" lines. */
public final class CapturedLog extends Handler implements AutoCloseable {

    private final Logger logger;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    private CapturedLog(String category) {
        this.logger = Logger.getLogger(category);
        setLevel(Level.ALL);
        logger.addHandler(this);
    }

    /** Starts capturing {@code category} (a class name, as Quarkus' Log uses). */
    public static CapturedLog of(Class<?> category) {
        return new CapturedLog(category.getName());
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** Lines at WARN (JUL's WARNING) or above. */
    public List<String> warnings() {
        return lines.stream().filter(line -> line.startsWith("WARN") || line.startsWith("ERROR")).toList();
    }

    @Override
    public void publish(LogRecord record) {
        String message = record.getParameters() == null || record.getParameters().length == 0
                ? record.getMessage()
                : String.format(record.getMessage(), record.getParameters());
        String level = record.getLevel().intValue() >= Level.SEVERE.intValue()
                ? "ERROR"
                : record.getLevel().intValue() >= Level.WARNING.intValue()
                        ? "WARN"
                        : record.getLevel().intValue() >= Level.INFO.intValue() ? "INFO" : "DEBUG";
        lines.add(level + " " + message);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
