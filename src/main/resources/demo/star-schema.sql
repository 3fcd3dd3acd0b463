-- mvrefresh demo: a small star schema with the kinds of materialized views production databases have.
-- Idempotent: every object is created only when absent, seed rows only into empty tables.

CREATE TABLE IF NOT EXISTS brand_metrics (
    metric_id serial PRIMARY KEY,
    brand     text NOT NULL,
    metric    text NOT NULL,
    unit      text NOT NULL,
    UNIQUE (brand, metric)
);

CREATE TABLE IF NOT EXISTS metric_facts (
    fact_id     bigserial PRIMARY KEY,
    metric_id   integer     NOT NULL REFERENCES brand_metrics (metric_id),
    observed_at timestamptz NOT NULL,
    value       numeric     NOT NULL
);
CREATE INDEX IF NOT EXISTS metric_facts_observed_at_idx ON metric_facts (observed_at);

CREATE TABLE IF NOT EXISTS brand_sentiment (
    brand       text    NOT NULL,
    observed_on date    NOT NULL,
    score       numeric NOT NULL,
    mentions    integer NOT NULL,
    PRIMARY KEY (brand, observed_on)
);

INSERT INTO brand_metrics (brand, metric, unit)
SELECT brand, metric, unit
FROM unnest(ARRAY['acme', 'globex', 'initech', 'umbrella', 'hooli']) AS brand
CROSS JOIN (VALUES ('revenue', 'usd'), ('orders', 'count'), ('visits', 'count')) AS m (metric, unit)
WHERE NOT EXISTS (SELECT 1 FROM brand_metrics);

INSERT INTO metric_facts (metric_id, observed_at, value)
SELECT m.metric_id, h.at, round((50 + 50 * sin(m.metric_id + extract(epoch FROM h.at) / 3600))::numeric, 2)
FROM brand_metrics m
CROSS JOIN generate_series(date_trunc('hour', now()) - interval '7 days', date_trunc('hour', now()), interval '1 hour') AS h (at)
WHERE NOT EXISTS (SELECT 1 FROM metric_facts);

INSERT INTO brand_sentiment (brand, observed_on, score, mentions)
SELECT b.brand, d.day::date, round((sin(length(b.brand) + extract(doy FROM d.day)))::numeric, 3), 100 + (extract(doy FROM d.day)::int % 50)
FROM (SELECT DISTINCT brand FROM brand_metrics) AS b
CROSS JOIN generate_series(current_date - 7, current_date, interval '1 day') AS d (day)
ON CONFLICT DO NOTHING;

-- Daily aggregate of the star: unique key (brand, metric, day), so it refreshes CONCURRENTLY.
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_brand_daily_metrics AS
SELECT m.brand,
       m.metric,
       (f.observed_at AT TIME ZONE 'UTC')::date AS day,
       count(*)                                 AS samples,
       sum(f.value)                             AS total,
       avg(f.value)                             AS average,
       max(s.score)                             AS sentiment
FROM metric_facts f
JOIN brand_metrics m USING (metric_id)
LEFT JOIN brand_sentiment s ON s.brand = m.brand AND s.observed_on = (f.observed_at AT TIME ZONE 'UTC')::date
GROUP BY m.brand, m.metric, (f.observed_at AT TIME ZONE 'UTC')::date;
CREATE UNIQUE INDEX IF NOT EXISTS mv_brand_daily_metrics_key ON mv_brand_daily_metrics (brand, metric, day);

-- Rankings computed from the daily aggregate (a materialized view on a materialized view).
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_brand_rankings AS
SELECT brand,
       metric,
       day,
       total,
       RANK() OVER (PARTITION BY metric, day ORDER BY total DESC)         AS rank,
       PERCENT_RANK() OVER (PARTITION BY metric, day ORDER BY total DESC) AS percentile
FROM mv_brand_daily_metrics;
CREATE UNIQUE INDEX IF NOT EXISTS mv_brand_rankings_key ON mv_brand_rankings (metric, day, brand);

-- A plain view over the daily aggregate, and a materialized view reading it through that view.
CREATE OR REPLACE VIEW v_brand_latest_day AS
SELECT d.*
FROM mv_brand_daily_metrics d
WHERE d.day = (SELECT max(day) FROM mv_brand_daily_metrics);

CREATE MATERIALIZED VIEW IF NOT EXISTS mv_brand_latest_summary AS
SELECT brand, sum(total) AS total, avg(sentiment) AS sentiment
FROM v_brand_latest_day
GROUP BY brand;
CREATE UNIQUE INDEX IF NOT EXISTS mv_brand_latest_summary_key ON mv_brand_latest_summary (brand);

-- A summary with no unique index: it can only be refreshed plain (blocking readers briefly).
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_metric_summary AS
SELECT m.metric, count(*) AS samples, min(f.value) AS min_value, max(f.value) AS max_value, avg(f.value) AS avg_value
FROM metric_facts f
JOIN brand_metrics m USING (metric_id)
GROUP BY m.metric;

-- Created WITH NO DATA: its first refresh must be plain, CONCURRENTLY only afterwards.
CREATE MATERIALIZED VIEW IF NOT EXISTS mv_sentiment_weekly AS
SELECT brand, date_trunc('week', observed_on)::date AS week, avg(score) AS score, sum(mentions) AS mentions
FROM brand_sentiment
GROUP BY brand, date_trunc('week', observed_on)::date
WITH NO DATA;
CREATE UNIQUE INDEX IF NOT EXISTS mv_sentiment_weekly_key ON mv_sentiment_weekly (brand, week);
