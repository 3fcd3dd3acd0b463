package io.mvrefresh.console;

import io.mvrefresh.config.GlobalSettings;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.openapi.annotations.Operation;

/**
 * {@code GET /console}: one page, its script and its style sheet, all from mvrefresh's own jar (no
 * CDN: it must work in a cluster without internet). The page holds no data; it asks the admin API
 * for everything, with the token the operator types, so the page itself needs no token.
 *
 * <p>Every answer forbids inline script, inline style and any other origin
 * (Content-Security-Policy), and sets no cookie: a view name or an error text with markup in it can
 * only ever be text, and no other site can make the browser call the admin API.
 */
@Path("/console")
public class ConsoleResource {

    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
            + " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static final Map<String, String> ASSETS = Map.of(
            "console.js", "text/javascript; charset=utf-8",
            "console.css", "text/css; charset=utf-8",
            "favicon.svg", "image/svg+xml");

    private final boolean enabled;
    private final Map<String, byte[]> loaded = new ConcurrentHashMap<>();

    public ConsoleResource(GlobalSettings settings) {
        this.enabled = settings.console().enabled();
    }

    @GET
    @Operation(hidden = true)
    public Response page() {
        return asset("index.html", "text/html; charset=utf-8");
    }

    @GET
    @Path("/{asset}")
    @Operation(hidden = true)
    public Response asset(@PathParam("asset") String name) {
        String type = ASSETS.get(name);
        return type == null ? Response.status(Response.Status.NOT_FOUND).build() : asset(name, type);
    }

    private Response asset(String name, String type) {
        if (!enabled) {
            return Response.status(Response.Status.NOT_FOUND).build();
        }
        return Response.ok(loaded.computeIfAbsent(name, ConsoleResource::read))
                .header("Content-Type", type)
                .header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                .header("X-Content-Type-Options", "nosniff")
                .header("Referrer-Policy", "no-referrer")
                .header("Cache-Control", "no-cache")
                .build();
    }

    private static byte[] read(String name) {
        try (InputStream in = ConsoleResource.class.getClassLoader().getResourceAsStream("console/" + name)) {
            if (in == null) {
                throw new IllegalStateException("console/" + name + " is missing from the application");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
