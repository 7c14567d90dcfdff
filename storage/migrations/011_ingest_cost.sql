-- What ingest costs the engine. Every batch writes otel_traces and span_facts, and through
-- their materialized views otel_traces_trace_id_ts and run_totals. Measured with GenAI spans
-- on 2 cores (bench/ingest.ts), three changes cut the engine's CPU and memory per batch:
--
-- 1. otel_traces loses the exporter's four bloom-filter indexes on mapKeys/mapValues of
--    ResourceAttributes and SpanAttributes: on 16,384-span inserts they were a third of the
--    engine's CPU per span (29 µs against 20 µs without them); dropping only the key or
--    only the value index of a map saved next to nothing. They bought little here: every
--    GenAI span carries the same gen_ai.* keys, so a key filter matches every granule, and
--    the lookups FlowTrace serves by value (run, step, trace, model, provider, failure) read
--    span_facts, which holds them as typed, sorted columns. The trace-id bloom filter and
--    the duration minmax index stay.
--
-- 2. merge_selector_base 5 → 20 on the four tables written per batch: the merge selector waits for about four
--    times as many parts of a size before merging them, so each row is rewritten by fewer
--    merge levels (log20 instead of log5 of the parts an insert makes). Group commit inserts
--    a few thousand spans at a time under load, and at the default the merges of those small
--    parts took a quarter of the engine's CPU; they took a third as much at 20. A partition
--    then holds more parts at a time, which the views' FINAL reads merge on the fly.
ALTER TABLE otel_traces DROP INDEX IF EXISTS idx_res_attr_key;
ALTER TABLE otel_traces DROP INDEX IF EXISTS idx_res_attr_value;
ALTER TABLE otel_traces DROP INDEX IF EXISTS idx_span_attr_key;
ALTER TABLE otel_traces DROP INDEX IF EXISTS idx_span_attr_value;
ALTER TABLE otel_traces MODIFY SETTING merge_selector_base = 20;
ALTER TABLE span_facts MODIFY SETTING merge_selector_base = 20;
ALTER TABLE otel_traces_trace_id_ts MODIFY SETTING merge_selector_base = 20;
ALTER TABLE run_totals MODIFY SETTING merge_selector_base = 20;

-- 3. otel_traces_trace_id_ts is written with each batch (storage/rows.ts) instead of by the
--    materialized view on otel_traces: the same rows (per trace id, the first and last span
--    start of the batch in seconds), without the view's aggregation of every inserted block,
--    which cost about 15 ms of engine CPU per insert and kept a buffer of about 80 MB resident.
DROP TABLE IF EXISTS otel_traces_trace_id_ts_mv;
