package io.mvrefresh.console;

import static io.mvrefresh.support.Refreshes.awaitStartupRefreshes;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.nullValue;

import io.mvrefresh.catalog.Catalog;
import io.mvrefresh.scheduling.Dispatcher;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Postgres;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.File;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * The console in a real browser: Debian's headless Chromium driven through chromedriver. It asks
 * for the token, lists every view, draws the graph, forces, pauses and resumes, shows a view named
 * with markup as text, loads nothing from elsewhere and logs no error.
 */
@QuarkusTest
@TestProfile(ConsoleTest.Profile.class)
class ConsoleTest {

    static final String MARKUP = "console.\"<img src=x onerror=\"\"document.title='pwned'\"\">\"";

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of("mvrefresh.discovery.schemas", "console", "mvrefresh.defaults.interval", "1d");
        }

        @Override
        protected List<String> fixtures() {
            return List.of("console_views");
        }
    }

    private static final Postgres POSTGRES = new Postgres(new Profile().database());
    private static WebDriver browser;

    @TestHTTPResource("/console")
    URL console;

    @Inject
    Dispatcher dispatcher;

    @Inject
    Catalog catalog;

    @BeforeAll
    static void openBrowser() {
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1700", "--lang=en-US");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File("/usr/bin/chromedriver")).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void closeBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    /** Waits until the page shows {@code condition} (it updates itself). */
    private static void awaitPage(java.util.concurrent.Callable<Boolean> condition) {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(condition);
    }

    private static WebElement byId(String id) {
        return browser.findElement(By.id(id));
    }

    @Test
    void shouldServeThePageWithAPolicyThatForbidsInlineScriptAndOtherOriginsAndNoCookie() {
        given().when().get("/console").then().statusCode(200)
                .header("Content-Security-Policy", containsString("default-src 'none'"))
                .header("Content-Security-Policy", containsString("script-src 'self'"))
                .header("Set-Cookie", nullValue());
        given().when().get("/console/console.js").then().statusCode(200).header("Content-Type", containsString("javascript"));
        given().when().get("/console/other.js").then().statusCode(404);
    }

    @Test
    void shouldListDrawAndSteerEveryViewInTheBrowser() throws Exception {
        awaitStartupRefreshes(dispatcher);
        browser.get(console.toString());

        // The token is asked for; a wrong one is refused with a clear message.
        awaitPage(() -> byId("token").isDisplayed());
        byId("token").sendKeys("wrong-token");
        byId("login-form").submit();
        awaitPage(() -> byId("login-error").getText().contains("The token was refused: invalid bearer token"));
        byId("token").clear();
        byId("token").sendKeys(DatabaseProfile.ADMIN_TOKEN);
        byId("login-form").submit();

        // Every view, the one named with markup as its literal text.
        List<String> views = List.of("console.mv_items", "console.mv_total", MARKUP);
        awaitPage(() -> browser.findElements(By.cssSelector("#views tbody tr")).size() == views.size());
        assertThat(browser.findElements(By.cssSelector("#views tbody button.link")).stream().map(WebElement::getText))
                .containsExactlyInAnyOrderElementsOf(views);
        assertThat(browser.findElements(By.cssSelector("#views img, #graph img"))).isEmpty();

        // The graph: a node per view, one edge from the source to its reader.
        awaitPage(() -> browser.findElements(By.cssSelector("#graph g.node")).size() == views.size());
        List<WebElement> edges = browser.findElements(By.cssSelector("#graph line.edge"));
        assertThat(edges).hasSize(1);
        assertThat(edges.getFirst().getDomAttribute("data-source")).isEqualTo("console.mv_items");
        assertThat(edges.getFirst().getDomAttribute("data-reader")).isEqualTo("console.mv_total");

        // Forcing a refresh from the page: the run appears without a reload.
        browser.findElement(By.cssSelector("#views button.link[data-view='console.mv_items']")).click();
        awaitPage(() -> byId("detail-title").getText().equals("console.mv_items"));
        assertThat(byId("settings").getText()).contains("all defaults");
        // Where a setting comes from: the view's comment, read at the next catalog scan, shown live.
        POSTGRES.execute("COMMENT ON MATERIALIZED VIEW console.mv_items IS 'Items. mvrefresh: priority=high'");
        catalog.rescan().invoke(dispatcher::applyCatalog).await().atMost(Duration.ofSeconds(30));
        awaitPage(() -> byId("settings").getText().contains("priority: comment"));
        assertThat(byId("settings").getText()).contains("high [comment]");
        byId("force").click();
        awaitPage(() -> byId("answer").getText().startsWith("Refresh accepted: run #"));
        String runId = byId("answer").getText().replaceAll("\\D*(\\d+).*", "$1");
        awaitPage(() -> !browser.findElements(By.cssSelector("#runs tr[data-run='" + runId + "']")).isEmpty());
        assertThat(POSTGRES.value("SELECT trigger FROM mvrefresh.refresh_run WHERE id = ?", Long.parseLong(runId)))
                .isEqualTo("admin");

        // Pause and resume, each answered.
        byId("pause").click();
        awaitPage(() -> byId("detail-why").getText().startsWith("paused"));
        assertThat(byId("answer").getText()).isEqualTo("Paused.");
        byId("resume").click();
        awaitPage(() -> !byId("detail-why").getText().startsWith("paused"));
        assertThat(byId("answer").getText()).isEqualTo("Resumed.");
        assertThat(POSTGRES.value("SELECT paused FROM mvrefresh.view_state WHERE view = 'console.mv_items'")).isEqualTo(false);

        // The markup in the name ran nothing.
        assertThat(browser.getTitle()).isEqualTo("mvrefresh console");
        assertThatNoAlert();
        // Nothing was asked of any other origin.
        String origin = console.getProtocol() + "://" + console.getHost() + ":" + console.getPort() + "/";
        @SuppressWarnings("unchecked")
        List<String> requested = (List<String>) ((org.openqa.selenium.JavascriptExecutor) browser)
                .executeScript("return performance.getEntriesByType('resource').map(entry => entry.name)");
        assertThat(requested).isNotEmpty().allMatch(url -> url.startsWith(origin));
        // No error in the browser's console (a refused script or style would be one).
        List<LogEntry> errors = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(entry -> entry.getLevel().intValue() >= Level.SEVERE.intValue())
                // The wrong token's answer, asked for on purpose above.
                .filter(entry -> !entry.getMessage().contains("401"))
                .toList();
        assertThat(errors).isEmpty();

        POSTGRES.execute("COMMENT ON MATERIALIZED VIEW console.mv_items IS NULL");
        catalog.rescan().invoke(dispatcher::applyCatalog).await().atMost(Duration.ofSeconds(30));

        // The README's picture, made by this run.
        browser.findElement(By.cssSelector("#views button.link[data-view='console.mv_total']")).click();
        awaitPage(() -> byId("detail-title").getText().equals("console.mv_total"));
        Files.write(Path.of("docs", "console.png"),
                ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    @Test
    void shouldAnswerTheWholeGraphOrTheNeighbourhoodOfOneView() {
        awaitStartupRefreshes(dispatcher);
        var whole = given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN).when().get("/admin/graph")
                .then().statusCode(200).extract().jsonPath();
        assertThat(whole.getList("nodes.view")).containsExactlyInAnyOrder("console.mv_items", "console.mv_total", MARKUP);
        assertThat(whole.getList("edges.source")).containsExactly("console.mv_items");
        assertThat(whole.getList("edges.reader")).containsExactly("console.mv_total");
        assertThat(whole.getInt("total")).isEqualTo(3);

        var around = given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN)
                .queryParam("view", "console.mv_total").queryParam("depth", 1)
                .when().get("/admin/graph").then().statusCode(200).extract().jsonPath();
        assertThat(around.getList("nodes.view")).containsExactlyInAnyOrder("console.mv_items", "console.mv_total");
        assertThat(around.getString("around")).isEqualTo("console.mv_total");

        given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN).queryParam("depth", "0")
                .when().get("/admin/graph").then().statusCode(400).body("error", containsString("depth=0"));
        given().header("Authorization", "Bearer " + DatabaseProfile.ADMIN_TOKEN).queryParam("view", "console.nope")
                .when().get("/admin/graph").then().statusCode(404);
        given().when().get("/admin/graph").then().statusCode(401);
    }

    private static void assertThatNoAlert() {
        try {
            browser.switchTo().alert();
            throw new AssertionError("an alert opened: markup from the database ran");
        } catch (NoAlertPresentException expected) {
            // As it must be.
        }
    }
}
