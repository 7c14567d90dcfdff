-- otel_traces_trace_id_ts is filled by a materialized view on otel_traces. A block is
-- deduplicated in a view's target table only if that table keeps a deduplication window
-- too, so give it the same window: a retried insert (same insert_deduplication_token)
-- then adds no lookup rows either.
ALTER TABLE otel_traces_trace_id_ts MODIFY SETTING non_replicated_deduplication_window = 10000;
