package io.mvrefresh.admin;

import io.mvrefresh.config.GlobalSettings;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Guards {@code /admin}: with no token configured the API is off (403 saying how to enable it);
 * otherwise {@code Authorization: Bearer <token>} is required (401). The token is compared in
 * constant time and never logged.
 */
public class AdminAuthorization {

    private static final String BEARER = "Bearer ";

    private final Optional<byte[]> token;

    public AdminAuthorization(GlobalSettings config) {
        this.token = config.admin().token().map(t -> t.getBytes(StandardCharsets.UTF_8));
    }

    @ServerRequestFilter
    public Response authorize(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.equals("/admin") && !path.startsWith("/admin/")) {
            return null;
        }
        if (token.isEmpty()) {
            return error(Response.Status.FORBIDDEN,
                    "the admin API is disabled: set mvrefresh.admin.token (environment variable MVREFRESH_ADMIN_TOKEN) to enable it");
        }
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return unauthorized("missing bearer token: send Authorization: Bearer <mvrefresh.admin.token>");
        }
        byte[] presented = header.substring(BEARER.length()).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(presented, token.get())) {
            return unauthorized("invalid bearer token");
        }
        return null;
    }

    private static Response unauthorized(String message) {
        return Response.status(Response.Status.UNAUTHORIZED)
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"mvrefresh\"")
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(new ErrorBody(message))
                .build();
    }

    static Response error(Response.Status status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(new ErrorBody(message)).build();
    }
}
