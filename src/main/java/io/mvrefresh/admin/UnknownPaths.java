package io.mvrefresh.admin;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * A request for a path nothing serves gets JSON, like every other error of the API, not an HTML
 * page (which, in dev mode, also advertised endpoints mvrefresh does not serve).
 */
@ApplicationScoped
public class UnknownPaths {

    void register(@Observes Router router) {
        router.route().last().handler(context -> context.response()
                .setStatusCode(404)
                .putHeader("Content-Type", "application/json")
                .end(new JsonObject()
                        .put("error", "no such endpoint: " + context.request().method() + " " + context.request().path()
                                + "; the admin API is under /admin (GET /admin/views), metrics and health on the management port")
                        .encode()));
    }
}
