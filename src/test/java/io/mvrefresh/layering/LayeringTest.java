package io.mvrefresh.layering;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Pins the package graph of the main code, read from its sources: every package sits on a floor
 * and uses only packages on lower floors, so there is no cycle, the vocabulary is at the bottom and
 * health and admin are on top. A new package fails this test until it is given a floor.
 */
class LayeringTest {

    private static final String BASE = "io.mvrefresh.";
    private static final Path SOURCES = Path.of("src/main/java/io/mvrefresh");
    private static final Pattern REFERENCE = Pattern.compile("\\bio\\.mvrefresh\\.([a-z]+)\\.");

    /** Floors, bottom first. A package may use the packages of the floors below its own, not of its own. */
    private static final List<Set<String>> FLOORS = List.of(
            Set.of("vocabulary", "retry"),
            Set.of("config", "coordination", "tracing"),
            Set.of("state", "pools", "metrics", "catalog"),
            Set.of("refresh"),
            Set.of("runs"),
            // Cache invalidation follows runs, never the scheduler.
            Set.of("scheduling", "cache"),
            Set.of("changes", "observability"),
            Set.of("lifecycle"),
            // The demo joins startup through lifecycle.StartupParticipant.
            Set.of("health", "admin", "demo", "console"));

    /** Uses the floors allow but the design does not. */
    private static final Map<String, Set<String>> FORBIDDEN = Map.of(
            // Metrics observe the run events; the scheduler does not call them.
            "scheduling", Set.of("metrics", "observability"),
            // Start and stop order does not know about the demo data.
            "lifecycle", Set.of("demo"));

    private static Map<String, Set<String>> uses;

    @BeforeAll
    static void readSources() throws IOException {
        uses = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            files.filter(file -> file.toString().endsWith(".java")).forEach(LayeringTest::read);
        }
    }

    private static void read(Path file) {
        String pkg = SOURCES.relativize(file).getName(0).toString();
        Set<String> used = uses.computeIfAbsent(pkg, key -> new TreeSet<>());
        try {
            Matcher reference = REFERENCE.matcher(Files.readString(file));
            while (reference.find()) {
                if (!reference.group(1).equals(pkg)) {
                    used.add(reference.group(1));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void shouldReadEveryPackageOfTheMainCode() {
        assertThat(uses).as("packages read from %s", SOURCES).containsKeys("vocabulary", "scheduling", "admin");
    }

    @Test
    void shouldGiveEveryPackageAFloor() {
        List<String> homeless = uses.keySet().stream().filter(pkg -> floorOf(pkg) < 0).toList();
        assertThat(homeless).as("packages without a floor in LayeringTest.FLOORS").isEmpty();
    }

    @Test
    void shouldUseOnlyPackagesOnLowerFloors() {
        List<String> upward = new ArrayList<>();
        uses.forEach((pkg, used) -> {
            for (String other : used) {
                if (floorOf(other) >= floorOf(pkg)) {
                    upward.add(BASE + pkg + " uses " + BASE + other + " (floor " + floorOf(other) + ", its own is "
                            + floorOf(pkg) + ")");
                }
            }
        });
        assertThat(upward).as("uses that run sideways or back up the floors (a cycle in the making)").isEmpty();
    }

    @Test
    void shouldKeepTheSchedulerFreeOfMetricsAndTheLifecycleFreeOfTheDemo() {
        List<String> forbidden = new ArrayList<>();
        FORBIDDEN.forEach((pkg, banned) -> uses.getOrDefault(pkg, Set.of()).stream().filter(banned::contains)
                .forEach(other -> forbidden.add(BASE + pkg + " uses " + BASE + other)));
        assertThat(forbidden).isEmpty();
    }

    @Test
    void shouldFindACycleWhenOneIsThere() {
        // The rule itself: two packages using each other can never both be below the other.
        Map<String, Set<String>> cyclic = Map.of("a", Set.of("b"), "b", Set.of("a"));
        assertThat(cycleIn(cyclic)).isTrue();
        assertThat(cycleIn(Map.of("a", Set.of("b"), "b", Set.of()))).isFalse();
        assertThat(cycleIn(uses)).as("the main code's package graph has a cycle").isFalse();
    }

    private static boolean cycleIn(Map<String, Set<String>> graph) {
        Map<String, Integer> state = new TreeMap<>();
        for (String node : graph.keySet()) {
            if (visit(node, graph, state)) {
                return true;
            }
        }
        return false;
    }

    /** Depth-first: 1 on the current path, 2 done. Answers whether a cycle runs through the path. */
    private static boolean visit(String node, Map<String, Set<String>> graph, Map<String, Integer> state) {
        Integer seen = state.get(node);
        if (seen != null) {
            return seen == 1;
        }
        state.put(node, 1);
        for (String next : graph.getOrDefault(node, Set.of())) {
            if (visit(next, graph, state)) {
                return true;
            }
        }
        state.put(node, 2);
        return false;
    }

    private static int floorOf(String pkg) {
        for (int floor = 0; floor < FLOORS.size(); floor++) {
            if (FLOORS.get(floor).contains(pkg)) {
                return floor;
            }
        }
        return -1;
    }
}
