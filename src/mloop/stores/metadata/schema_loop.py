"""The monitoring and scheduling tables: monitors, results, alerts, webhooks and their outbox,
request counts; schedules, fires, triggers and scheduler processes (part of the one schema:
mloop.stores.metadata.schema re-exports them)."""

from __future__ import annotations

import sqlalchemy as sa

from mloop.stores.metadata.schema_types import Json, Time, metadata

# Monitoring (issue 11): monitors (`definition` holds the Monitor's fields), their results as a
# time series, the alerts they raise, and an outbox of messages to webhooks (one row per message
# and destination, queued in the transaction that raises or resolves the alert). `open_source` is
# the source while the alert is open, NULL once resolved: its unique index keeps one open alert per
# source on every database (NULLs never collide). `monitor_cursors` remembers how far the registry
# events were read for webhooks.
monitors = sa.Table(
    "monitors", metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("kind", sa.String(50), nullable=False),
    sa.Column("definition", Json, nullable=False),
    sa.Column("paused", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("updated_at", Time, nullable=False),
)

monitor_results = sa.Table(
    "monitor_results", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("monitor", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(50), nullable=False),
    sa.Column("time", Time, nullable=False),
    sa.Column("window_start", Time, nullable=False),
    sa.Column("window_end", Time, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # passed | failed | no_data
    sa.Column("value", sa.Float),
    sa.Column("threshold", sa.Float),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("values", Json, nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("duration_ms", sa.Float, nullable=False),
)
sa.Index("ix_monitor_results_monitor_time", monitor_results.c.monitor, monitor_results.c.time)

alerts = sa.Table(
    "alerts", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("source", sa.String(200), nullable=False, index=True),
    sa.Column("open_source", sa.String(200), unique=True),
    sa.Column("severity", sa.String(20), nullable=False),  # info | warning | critical
    sa.Column("status", sa.String(20), nullable=False),  # open | resolved
    sa.Column("opened_at", Time, nullable=False),
    sa.Column("last_failed_at", Time, nullable=False),
    sa.Column("resolved_at", Time),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("details", Json, nullable=False),
    sa.Column("last_result_id", sa.String(40)),
    sa.Column("notified_at", Time),
)
sa.Index("ix_alerts_opened", alerts.c.opened_at)

webhooks = sa.Table(
    "webhooks", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("events", Json, nullable=False),  # ["alerts", "registry"]
    sa.Column("format", sa.String(20), nullable=False),  # json | slack
    sa.Column("created_at", Time, nullable=False),
)

alert_deliveries = sa.Table(
    "alert_deliveries", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("event", sa.String(50), nullable=False),  # alert.opened | alert.resolved | registry.promoted ...
    sa.Column("alert_id", sa.String(40), index=True),
    sa.Column("webhook_id", sa.String(40), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # pending | delivered | failed
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", Time, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("payload", Json, nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("delivered_at", Time),
)
sa.Index("ix_alert_deliveries_due", alert_deliveries.c.status, alert_deliveries.c.next_attempt_at)

# Requests a deployment answered and how many failed, counted in the server and written with each
# heartbeat (the counts since the previous one): what the error_rate monitor reads.
deployment_counts = sa.Table(
    "deployment_counts", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("deployment_id", sa.String(40), nullable=False),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("version", sa.String(300), nullable=False),  # 'fraud/3': the primary version at the time
    sa.Column("time", Time, nullable=False),
    sa.Column("requests", sa.Integer, nullable=False),
    sa.Column("client_errors", sa.Integer, nullable=False),  # 4xx
    sa.Column("server_errors", sa.Integer, nullable=False),  # 5xx
)
sa.Index("ix_deployment_counts_model_time", deployment_counts.c.model, deployment_counts.c.time)

monitor_cursors = sa.Table(
    "monitor_cursors", metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

# Scheduling (issue 11): cron and @every schedules of jobs, every claimed due time (the unique key is
# the claim: two schedulers cannot both insert it), event triggers with what they have seen, and
# the scheduler processes themselves (for status).
schedules = sa.Table(
    "schedules", metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("job_kind", sa.String(40), nullable=False),  # pipeline | python | monitor
    sa.Column("target", sa.String(500), nullable=False),
    sa.Column("arguments", Json, nullable=False),
    sa.Column("cron", sa.String(200), nullable=False),  # "0 3 * * *" or "@every 5m"
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("catchup", sa.String(10), nullable=False),  # skip | once
    sa.Column("paused", sa.Boolean, nullable=False),
    sa.Column("folder", sa.Text, nullable=False),  # where the job runs ('' for the project folder)
    sa.Column("created_at", Time, nullable=False),
    sa.Column("updated_at", Time, nullable=False),
    sa.Column("next_due_at", Time, nullable=False),
    sa.Column("last_due_at", Time),
)
sa.Index("ix_schedules_next_due", schedules.c.paused, schedules.c.next_due_at)

schedule_fires = sa.Table(
    "schedule_fires", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(10), nullable=False),  # schedule | trigger
    sa.Column("schedule", sa.String(200), nullable=False),  # the schedule's (or trigger's) name
    sa.Column("due_at", Time, nullable=False),
    sa.Column("fired_at", Time, nullable=False),
    sa.Column("scheduler", sa.String(300), nullable=False),  # host:pid
    sa.Column("outcome", sa.String(10), nullable=False),  # started | skipped | failed
    sa.Column("run_id", sa.String(40)),
    sa.Column("error", sa.Text),
    sa.Column("result", sa.String(20)),  # succeeded | failed once the started job ended
    sa.Column("ended_at", Time),
    sa.UniqueConstraint("source", "schedule", "due_at", name="uq_schedule_fires_claim"),
)

triggers = sa.Table(
    "triggers", metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),  # new_data | alert
    sa.Column("config", Json, nullable=False),
    sa.Column("job_kind", sa.String(40), nullable=False),
    sa.Column("target", sa.String(500), nullable=False),
    sa.Column("arguments", Json, nullable=False),
    sa.Column("folder", sa.Text, nullable=False),
    sa.Column("state", Json, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),  # compare-and-set: one scheduler wins an event
    sa.Column("created_at", Time, nullable=False),
    sa.Column("updated_at", Time, nullable=False),
)

schedulers = sa.Table(
    "schedulers", metadata,
    sa.Column("id", sa.String(300), primary_key=True),  # host:pid
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("started_at", Time, nullable=False),
    sa.Column("heartbeat_at", Time, nullable=False),
    sa.Column("stopped_at", Time),
)
