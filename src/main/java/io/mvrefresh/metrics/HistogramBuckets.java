package io.mvrefresh.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Duration;

/**
 * Gives every mvrefresh timer the same histogram buckets, chosen once here: refreshes range from
 * a few milliseconds to tens of minutes, so the buckets span 10 ms to 30 min.
 */
public class HistogramBuckets {

    private static final double[] SLO_SECONDS = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200,
            1800};

    @Produces
    @Singleton
    public MeterFilter mvrefreshHistograms() {
        return new MeterFilter() {

            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (!id.getName().startsWith("mvrefresh.")) {
                    return config;
                }
                double[] nanos = new double[SLO_SECONDS.length];
                for (int i = 0; i < SLO_SECONDS.length; i++) {
                    nanos[i] = Duration.ofMillis((long) (SLO_SECONDS[i] * 1000)).toNanos();
                }
                return DistributionStatisticConfig.builder()
                        .serviceLevelObjectives(nanos)
                        .minimumExpectedValue(Duration.ofMillis(10).toNanos() * 1.0)
                        .maximumExpectedValue(Duration.ofMinutes(30).toNanos() * 1.0)
                        .build()
                        .merge(config);
            }
        };
    }
}
