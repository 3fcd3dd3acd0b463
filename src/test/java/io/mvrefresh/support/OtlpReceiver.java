package io.mvrefresh.support;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OTLP/HTTP trace receiver in the test process: it accepts {@code POST /v1/traces} and counts
 * the export requests, so a test sees that traces leave the application and the exporter logs no
 * error. The spans themselves are read from the in-memory exporter ({@link SpanExporterProducer}).
 */
public class OtlpReceiver implements QuarkusTestResourceLifecycleManager {

    private static final AtomicInteger REQUESTS = new AtomicInteger();
    private HttpServer server;

    /** Export requests received since the receiver started. */
    public static int requests() {
        return REQUESTS.get();
    }

    @Override
    public Map<String, String> start() {
        REQUESTS.set(0);
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/v1/traces", exchange -> {
            exchange.getRequestBody().readAllBytes();
            REQUESTS.incrementAndGet();
            // An empty ExportTraceServiceResponse: every span accepted.
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
        return Map.of(
                "quarkus.otel.exporter.otlp.traces.endpoint", "http://127.0.0.1:" + server.getAddress().getPort(),
                "quarkus.otel.exporter.otlp.traces.protocol", "http/protobuf");
    }

    @Override
    public void stop() {
        if (server != null) {
            server.stop(0);
        }
    }
}
