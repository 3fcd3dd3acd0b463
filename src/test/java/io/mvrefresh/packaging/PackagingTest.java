package io.mvrefresh.packaging;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.mvrefresh.support.ConfigMappings;
import io.mvrefresh.support.DatabaseProfile;
import io.mvrefresh.support.Management;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the container, Compose and Kubernetes files honest without Docker or a cluster: their
 * ports, probe paths and settings must be what the application actually serves and reads.
 */
@QuarkusTest
@TestProfile(PackagingTest.Profile.class)
class PackagingTest {

    public static class Profile extends DatabaseProfile {

        @Override
        protected Map<String, String> settings() {
            return Map.of("mvrefresh.defaults.enabled", "false");
        }
    }

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Path K8S = Path.of("k8s", "base");
    private static final Path DOCKER = Path.of("docker");
    /** The connection settings operators set (SPEC: Quarkus' own). */
    private static final Set<String> CONNECTION_SETTINGS = Set.of("quarkus.datasource.reactive.url",
            "quarkus.datasource.username",
            "quarkus.datasource.password", "quarkus.redis.hosts");

    private static Properties applicationProperties() throws IOException {
        Properties properties = new Properties();
        properties.load(new StringReader(Files.readString(Path.of("src", "main", "resources", "application.properties"))));
        return properties;
    }

    /** Every YAML document of every manifest under k8s/base. */
    private static List<JsonNode> manifests() throws IOException {
        List<JsonNode> documents = new ArrayList<>();
        try (Stream<Path> files = Files.walk(K8S)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                try (YAMLParser parser = new YAMLFactory().createParser(file.toFile())) {
                    YAML.readValues(parser, JsonNode.class).readAll().forEach(documents::add);
                }
            }
        }
        return documents;
    }

    private static JsonNode kind(String kind) throws IOException {
        return manifests().stream().filter(m -> kind.equals(m.path("kind").asText())).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " in k8s/base"));
    }

    private static JsonNode sidecar() throws IOException {
        for (JsonNode container : kind("Deployment").at("/spec/template/spec/containers")) {
            if ("mvrefresh".equals(container.path("name").asText())) {
                return container;
            }
        }
        throw new AssertionError("no mvrefresh container in the Deployment");
    }

    private static int containerPort(JsonNode container, String name) {
        for (JsonNode port : container.path("ports")) {
            if (name.equals(port.path("name").asText())) {
                return port.path("containerPort").asInt();
            }
        }
        throw new AssertionError("no container port named " + name);
    }

    /** Validates a mounted properties file exactly as startup would: unknown keys and bad values fail. */
    private static void assertValidSettings(Path file) throws IOException {
        Properties properties = new Properties();
        properties.load(new StringReader(Files.readString(file)));
        Map<String, String> mvrefresh = new HashMap<>();
        properties.stringPropertyNames().stream().filter(key -> key.startsWith("mvrefresh."))
                .forEach(key -> mvrefresh.put(key, properties.getProperty(key)));
        assertThat(mvrefresh).as("settings in %s", file).isNotEmpty();
        assertThat(ConfigMappings.validate(mvrefresh).views().configuredViews()).isNotEmpty();
    }

    /** An environment variable a container sets must be a setting mvrefresh reads. */
    private static void assertKnownVariable(String variable, Properties application) {
        if (Set.of("JAVA_OPTS_APPEND", "GC_CONTAINER_OPTIONS", "MALLOC_ARENA_MAX").contains(variable)) {
            // Read by the JVM image's run-java.sh, the JVM or glibc, not by mvrefresh.
            return;
        }
        String key = variable.toLowerCase(Locale.ROOT).replace('_', '.');
        if (key.startsWith("quarkus.")) {
            Set<String> known = new java.util.HashSet<>(CONNECTION_SETTINGS);
            application.stringPropertyNames().forEach(name -> known.add(name.replaceFirst("^%[a-z]+\\.", "")));
            assertThat(known).as("%s is a Quarkus setting mvrefresh uses", variable).contains(key);
            return;
        }
        assertThat(key).startsWith("mvrefresh.");
        // Unknown keys under mvrefresh. fail validation, as they fail startup.
        org.assertj.core.api.Assertions.assertThatCode(() -> ConfigMappings.validate(Map.of(key, "x")))
                .as("%s is a setting of mvrefresh", variable)
                .satisfiesAnyOf(
                        thrown -> assertThat(thrown).isNull(),
                        thrown -> assertThat(thrown).hasMessageNotContaining(key + ": not a setting"));
    }

    private static String env(JsonNode container, String name) {
        for (JsonNode variable : container.path("env")) {
            if (name.equals(variable.path("name").asText())) {
                return variable.path("value").asText();
            }
        }
        return null;
    }

    @Test
    void shouldExposeThePortsTheApplicationListensOn() throws IOException {
        Properties application = applicationProperties();
        JsonNode sidecar = sidecar();
        // The sidecar moves off the image's ports (those of the application beside it) with Quarkus' own settings.
        int admin = Integer.parseInt(java.util.Objects.requireNonNullElse(env(sidecar, "QUARKUS_HTTP_PORT"),
                application.getProperty("quarkus.http.port")));
        int management = Integer.parseInt(java.util.Objects.requireNonNullElse(env(sidecar, "QUARKUS_MANAGEMENT_PORT"),
                application.getProperty("quarkus.management.port")));
        assertThat(containerPort(sidecar, "admin")).isEqualTo(admin);
        assertThat(containerPort(sidecar, "management")).isEqualTo(management);
        List<Integer> applicationPorts = new ArrayList<>();
        for (JsonNode container : kind("Deployment").at("/spec/template/spec/containers")) {
            if (!"mvrefresh".equals(container.path("name").asText())) {
                container.path("ports").forEach(port -> applicationPorts.add(port.path("containerPort").asInt()));
            }
        }
        assertThat(applicationPorts).as("the application's ports").doesNotContain(admin, management);
        assertThat(List.of(admin, management)).as("clear of the usual application ports").doesNotContain(8080, 8081, 9000);
        assertThat(kind("Service").at("/spec/ports/0/port").asInt()).isEqualTo(management);
        for (String dockerfile : List.of("Dockerfile.jvm", "Dockerfile.native")) {
            String text = Files.readString(DOCKER.resolve(dockerfile));
            assertThat(text).as(dockerfile).contains("EXPOSE 8080 9000")
                    .contains("docker build -f docker/" + dockerfile)
                    .containsPattern("(?m)^USER (185|1001)$")
                    .contains("WORKDIR /deployments");
        }
    }

    @Test
    void shouldProbePathsTheManagementInterfaceServes() throws IOException {
        JsonNode sidecar = sidecar();
        Map<String, String> probes = Map.of("startupProbe", "/q/health/started", "livenessProbe", "/q/health/live",
                "readinessProbe", "/q/health/ready");
        probes.forEach((probe, path) -> {
            JsonNode httpGet = sidecar.path(probe).path("httpGet");
            assertThat(httpGet.path("path").asText()).as(probe).isEqualTo(path);
            assertThat(httpGet.path("port").asText()).as(probe).isEqualTo("management");
        });
        io.mvrefresh.support.Refreshes
                .awaitStartupRefreshes(io.quarkus.arc.Arc.container().instance(io.mvrefresh.scheduling.Dispatcher.class).get());
        for (String path : probes.values()) {
            given().when().get(Management.url(path)).then().statusCode(200);
        }
        JsonNode monitor = kind("ServiceMonitor").at("/spec/endpoints/0");
        assertThat(monitor.path("port").asText()).isEqualTo("management");
        given().when().get(Management.url(monitor.path("path").asText())).then().statusCode(200);
        assertThat(kind("Service").at("/spec/ports/0/targetPort").asText()).isEqualTo("management");
    }

    /** Exit code of {@code java <options> -version} on the JDK running the tests (21 or newer, as the image). */
    private static int jvmStartsWith(String options) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(options.trim().split("\\s+")));
        command.add("-version");
        Process java = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        assertThat(java.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return java.exitValue();
    }

    @Test
    void shouldRunTheSidecarLockedDownWithTimeToShutDown() throws IOException, InterruptedException {
        JsonNode security = sidecar().path("securityContext");
        assertThat(security.path("runAsNonRoot").asBoolean()).isTrue();
        assertThat(security.path("readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(security.path("allowPrivilegeEscalation").asBoolean()).isFalse();
        assertThat(security.at("/seccompProfile/type").asText()).isEqualTo("RuntimeDefault");
        assertThat(env(sidecar(), "JAVA_OPTS_APPEND")).as("JVM sized for the memory limit").contains("-XX:MaxRAMPercentage")
                .as("replacing the image's value must keep its logging manager")
                .contains("-Djava.util.logging.manager=org.jboss.logmanager.LogManager");
        String dockerfile = Files.readString(DOCKER.resolve("Dockerfile.jvm"));
        assertThat(dockerfile).as("the image sizes the JVM itself too")
                .contains("-XX:MaxRAMPercentage=40").contains("-Djava.util.logging.manager=org.jboss.logmanager.LogManager");
        // run-java.sh puts GC_CONTAINER_OPTIONS (by default -XX:+UseParallelGC) before JAVA_OPTS_APPEND:
        // a collector named in both stops the JVM with "Multiple garbage collectors selected".
        assertThat(env(sidecar(), "JAVA_OPTS_APPEND")).as("no collector in JAVA_OPTS_APPEND")
                .doesNotContainPattern("-XX:\\+Use\\w+GC");
        assertThat(dockerfile.lines().filter(line -> line.startsWith("ENV JAVA_OPTS_APPEND")).findFirst().orElseThrow())
                .as("no collector in the image's JAVA_OPTS_APPEND").doesNotContainPattern("-XX:\\+Use\\w+GC");
        assertThat(env(sidecar(), "GC_CONTAINER_OPTIONS")).isEqualTo("-XX:+UseSerialGC");
        assertThat(dockerfile).contains("ENV GC_CONTAINER_OPTIONS=\"-XX:+UseSerialGC\"");
        assertThat(jvmStartsWith(env(sidecar(), "GC_CONTAINER_OPTIONS") + " " + env(sidecar(), "JAVA_OPTS_APPEND")))
                .as("the manifest's options, as run-java.sh orders them, start a JVM").isZero();
        assertThat(jvmStartsWith("-XX:+UseParallelGC -XX:+UseSerialGC")).as("the failure this guards against").isNotZero();
        assertThat(sidecar().at("/resources/requests/memory").asText()).isNotEmpty();
        assertThat(sidecar().at("/resources/limits/memory").asText()).isNotEmpty();
        long grace = kind("Deployment").at("/spec/template/spec/terminationGracePeriodSeconds").asLong();
        assertThat(grace).as("terminationGracePeriodSeconds above mvrefresh.shutdown.grace (30 s) plus the cancel wait")
                .isGreaterThanOrEqualTo(30 + 10);
        assertThat(sidecar().path("volumeMounts").findValuesAsText("mountPath")).contains("/deployments/config", "/tmp");
    }

    @Test
    void shouldConfigureOnlySettingsMvrefreshReads() throws IOException {
        assertValidSettings(K8S.resolve("application.properties"));
        assertValidSettings(DOCKER.resolve("config").resolve("application.properties"));
        Properties application = applicationProperties();
        for (JsonNode env : sidecar().path("env")) {
            assertKnownVariable(env.path("name").asText(), application);
        }
        assertThat(manifests().stream().map(m -> m.path("kind").asText()))
                .as("no Secret in the base: applying it must not overwrite one")
                .doesNotContain("Secret");
        JsonNode secret = YAML.readTree(Path.of("k8s", "overlays", "example", "secret.example.yaml").toFile());
        secret.path("stringData").fieldNames().forEachRemaining(variable -> assertKnownVariable(variable, application));
        JsonNode compose = YAML.readTree(DOCKER.resolve("compose.yaml").toFile());
        compose.at("/services/mvrefresh/environment").fieldNames()
                .forEachRemaining(variable -> assertKnownVariable(variable, application));
    }

    @Test
    void shouldWireTheComposeStackToTheRightPortsAndFiles() throws IOException {
        JsonNode compose = YAML.readTree(DOCKER.resolve("compose.yaml").toFile());
        List<String> ports = new ArrayList<>();
        compose.at("/services/mvrefresh/ports").forEach(port -> ports.add(port.asText()));
        assertThat(ports).containsExactlyInAnyOrder("8080:8080", "9000:9000");
        assertThat(compose.at("/services/mvrefresh/build/dockerfile").asText()).isEqualTo("docker/Dockerfile.jvm");
        assertThat(compose.path("services").fieldNames()).toIterable()
                .contains("postgres", "data-generator", "redis", "mvrefresh", "prometheus", "grafana");
        // Every file a service mounts exists.
        for (JsonNode service : compose.path("services")) {
            for (JsonNode volume : service.path("volumes")) {
                String source = volume.asText().split(":")[0];
                assertThat(DOCKER.resolve(source).normalize()).as("volume %s", volume.asText()).exists();
            }
        }
        JsonNode prometheus = YAML.readTree(DOCKER.resolve("prometheus").resolve("prometheus.yml").toFile());
        JsonNode scrape = prometheus.at("/scrape_configs/0");
        assertThat(scrape.path("metrics_path").asText()).isEqualTo("/q/metrics");
        assertThat(scrape.at("/static_configs/0/targets/0").asText()).isEqualTo("mvrefresh:9000");
        // The demo's plain rules file and the PrometheusRule hold the same rules.
        assertThat(YAML.readTree(DOCKER.resolve("prometheus").resolve("mvrefresh-rules.yaml").toFile()))
                .isEqualTo(kind("PrometheusRule").path("spec"));
    }

    @Test
    void shouldRenderWithKustomize() throws Exception {
        assumeTrue(hasKubectl(), "kubectl is not installed: rendering with kustomize skipped");
        String base = kustomize(K8S);
        assertThat(kinds(base)).as("the base ships no credentials").containsExactlyInAnyOrder("ConfigMap", "ConfigMap", "Service",
                "Deployment", "PrometheusRule", "ServiceMonitor");
        // The generated ConfigMap's hashed name is what the Deployment mounts.
        assertThat(base).containsPattern("name: mvrefresh-config-[a-z0-9]+")
                .containsPattern("configMap:\\s+name: mvrefresh-config-[a-z0-9]+");

        String example = kustomize(Path.of("k8s", "overlays", "example"));
        assertThat(kinds(example)).containsExactlyInAnyOrder("ConfigMap", "ConfigMap", "Secret", "Service", "Deployment",
                "PrometheusRule", "ServiceMonitor");
        String monitored = kustomize(Path.of("k8s", "overlays", "kube-prometheus-stack"));
        assertThat(monitored).as("kube-prometheus-stack selects rules and monitors by its release label")
                .contains("release: kube-prometheus-stack");
    }

    private static String kustomize(Path directory) throws Exception {
        Process process = new ProcessBuilder("kubectl", "kustomize", directory.toString()).redirectErrorStream(true).start();
        String rendered = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(rendered).isZero();
        return rendered;
    }

    private static List<String> kinds(String rendered) throws IOException {
        List<String> kinds = new ArrayList<>();
        try (YAMLParser parser = new YAMLFactory().createParser(rendered)) {
            YAML.readValues(parser, JsonNode.class).readAll().forEach(doc -> kinds.add(doc.path("kind").asText()));
        }
        return kinds;
    }

    private static boolean hasKubectl() {
        try {
            return new ProcessBuilder("kubectl", "version", "--client").start().waitFor(30, TimeUnit.SECONDS);
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
