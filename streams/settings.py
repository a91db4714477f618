"""Runtime configuration: one pydantic-settings class, read from ``CRYOTRACE_*`` variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from alerts.config import RuleConfig
from streams.heap_tuning import MMAP_THRESHOLD_MAX


class KafkaSettings(BaseModel):
    """How to reach Kafka (``CRYOTRACE_KAFKA__*``; bootstrap also ``CRYOTRACE_KAFKA_BOOTSTRAP``)."""

    bootstrap: str = "127.0.0.1:9092"
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None


class TopicSettings(BaseModel):
    """Topic naming and sizing (``CRYOTRACE_TOPICS__*``; prefix also ``CRYOTRACE_TOPIC_PREFIX``)."""

    prefix: str = "cryotrace"
    partitions: int = Field(default=6, ge=1)
    replication_factor: int = Field(default=1, ge=1)


class WarehouseSettings(BaseModel):
    """The warehouse (``CRYOTRACE_WAREHOUSE__*``; url also ``CRYOTRACE_WAREHOUSE_URL``)."""

    url: str = "duckdb:///data/warehouse.duckdb"
    batch_size: int = Field(
        default=20_000,
        ge=1,
        description="a sink flush at most this many records (or after batch_seconds); each "
        "flush has ~15 ms of fixed cost (validation, commit)",
    )
    batch_seconds: float = Field(default=1.0, gt=0)
    fetch_min_bytes: int = Field(
        default=1024 * 1024,
        ge=1,
        description="the sink's fetches wait for this much data (or 100 ms): fewer, fuller "
        "fetches; its rows reach the warehouse once a second anyway",
    )
    nice: int = Field(
        default=5,
        ge=0,
        le=19,
        description="a sink worker lowers its CPU priority by this much at start (os.nice): "
        "on cores it shares with a processor, the alert path goes first; the sink batches "
        "by the second anyway. 0 keeps the priority it was started with",
    )


class LocalInfraSettings(BaseModel):
    """Ports of the embedded local broker and database (``CRYOTRACE_LOCAL__*``)."""

    kafka_port: int = 9092
    controller_port: int = 9093
    postgres_port: int = 55432
    kafka_heap: str = "1g"


class StreamSettings(BaseModel):
    """How the stream processor batches (``CRYOTRACE_STREAM__*``)."""

    batch_max: int = Field(default=2000, ge=1)
    batch_seconds: float = Field(default=0.05, gt=0)
    checkpoint_seconds: float = Field(
        default=10.0,
        gt=0,
        description="how often changed states reach the changelog under load (then acks): "
        "each checkpoint encodes a changed state once however many events changed it",
    )
    checkpoint_idle_seconds: float = Field(
        default=1.0,
        gt=0,
        description="a stream with no batch for this long checkpoints without waiting for "
        "checkpoint_seconds (its offsets commit, its lag reaches zero)",
    )
    checkpoint_events: int = Field(
        default=50_000,
        ge=1,
        description="checkpoint every partition sooner once this many events wait",
    )
    checkpoint_slices: int = Field(
        default=6,
        ge=1,
        description="under load the input partitions are checkpointed in this many slices "
        "in turn (partition mod slices, at most one a partition), one every "
        "checkpoint_seconds / slices: each state still reaches the changelog every "
        "checkpoint_seconds, a slice's states at a time, so a checkpoint's encoding comes in "
        "small bursts instead of one of every changed state. 1: every partition at once. In "
        "the bench's latency phase 6 slices read a p99 of 0.22-0.72 s against 0.49-1.93 s "
        "(docs/benchmarks.md, session 48; streams/checkpoint_slices.py)",
    )
    changelog_compression: Literal["none", "gzip", "snappy", "lz4", "zstd"] = Field(
        default="zstd",
        description="the codec of the state changelog's record batches (the outputs stay "
        "uncompressed): a checkpoint under load rewrites about 5 KB of JSON a changed "
        "shipment, which zstd takes to about an eighth in C, for the broker to append, "
        "compact and serve to a recovering worker (docs/benchmarks.md, session 47). A build "
        "without the codec's library cannot read such batches back, whatever this setting "
        "says then: batches already written keep their codec until compaction drops them",
    )
    checkpoint_turn_seconds: float = Field(
        default=0.02,
        gt=0,
        description="a checkpoint encodes its changed states in turns of about this long "
        "(at least one state), the agent's next batch going between them; a state a batch "
        "changes before its turn is encoded first",
    )
    tick_seconds: float = Field(default=5.0, gt=0, description="how often the live timer runs")
    clock_turn_seconds: float = Field(
        default=0.02,
        gt=0,
        description="the live timer's sweep over the states holds them about this long at a "
        "time (at least one state), then lets the agent's next batch go first",
    )
    inline_handoff: bool | None = Field(
        default=None,
        description="Faust's consumer hands messages to streams inline "
        "(streams/consumer_handoff.py): unset, on in every role but webhook delivery "
        "(processor 19-41 %, sink 31-48 % less CPU per reading; delivery handles few "
        "messages and keeps Faust's own); true or false: every role",
    )
    manifests_first_seconds: float = Field(
        default=10.0,
        ge=0,
        description="after an assignment, the processor's telemetry and custody partitions "
        "wait at most this long for its shipments partitions to be read up to their end "
        "(streams/manifests_first.py; 0: they never wait)",
    )
    settle_quiet_seconds: float = Field(
        default=5.0,
        ge=0,
        description="the timer settles a shipment only after this long without events",
    )
    session_timeout_seconds: float = Field(
        default=10.0, ge=6.0, description="a worker silent this long loses its partitions"
    )
    data_dir: Path | None = Field(
        default=None,
        description="Faust's data directory (tables are in memory: Faust keeps only empty "
        "directories there); unset, one per app id under the system's temporary directory, "
        "never the working directory",
    )
    mmap_threshold_bytes: int = Field(
        default=131_072,
        ge=0,
        le=MMAP_THRESHOLD_MAX,
        description="glibc serves allocations of at least this many bytes (fetch responses, "
        "producer batches) from mappings of their own, given back when freed, instead of "
        "raising the threshold as it goes and leaving them as holes among the states "
        "(streams/heap_tuning.py; 0: glibc's own moving threshold)",
    )
    silence_timer: bool = Field(
        default=True,
        description="live timer raises logger_silent for ongoing silence by the wall clock "
        "(offline replay has no clock: turn off to compare live with replay)",
    )

    @field_validator("inline_handoff", "data_dir", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        """``CRYOTRACE_STREAM__INLINE_HANDOFF=`` or ``..._DATA_DIR=`` (as in .env.example)
        means unset."""
        return None if value == "" else value


class DeliverySettings(BaseModel):
    """Webhook delivery (``CRYOTRACE_DELIVERY__*``; subscriptions also ``CRYOTRACE_SUBSCRIPTIONS``)."""

    subscriptions: Path | None = Field(
        default=None, description="YAML or JSON file of webhook subscribers"
    )
    coalesce_s: float = Field(default=0.2, ge=0, description="updates within this window merge")
    http_client: Literal["http1", "aiohttp", "httpx"] = Field(
        default="http1", description="HTTP client of the sender (http1: asyncio's own)"
    )
    timeout_s: float = Field(default=5.0, gt=0, description="per request, connect to last byte")
    concurrency: int = Field(default=8, ge=1, description="requests in flight per endpoint")
    max_attempts: int = Field(default=12, ge=1)
    backoff_base_s: float = Field(default=1.0, gt=0)
    backoff_max_s: float = Field(default=900.0, gt=0)
    retry_after_max_s: float = Field(default=3600.0, ge=0)
    manifest_wait_s: float = Field(
        default=60.0, ge=0, description="how long alerts wait for their shipment's sites"
    )
    remember_s: float = Field(
        default=3600.0, ge=0, description="delivered versions remembered against replays"
    )


class Settings(BaseSettings):
    """Every setting of cryotrace. Secrets are ``SecretStr`` and never printed."""

    model_config = SettingsConfigDict(
        env_prefix="CRYOTRACE_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    app_id: str = Field(
        default="cryotrace", description="Faust app id: consumer group and changelog prefix"
    )
    kafka_bootstrap: str | None = Field(default=None, description="shortcut for kafka.bootstrap")
    topic_prefix: str | None = Field(default=None, description="shortcut for topics.prefix")
    warehouse_url: str | None = Field(default=None, description="shortcut for warehouse.url")
    subscriptions: Path | None = Field(
        default=None, description="shortcut for delivery.subscriptions"
    )
    kafka: KafkaSettings = KafkaSettings()
    topics: TopicSettings = TopicSettings()
    warehouse: WarehouseSettings = WarehouseSettings()
    stream: StreamSettings = StreamSettings()
    local: LocalInfraSettings = LocalInfraSettings()
    rules: RuleConfig = RuleConfig()
    delivery: DeliverySettings = DeliverySettings()
    home: Path | None = Field(
        default=None, description="project folder holding infra/ and .cryotrace/"
    )
    web_port: int = 6066
    log_level: str = "INFO"

    def model_post_init(self, __context: object) -> None:
        """Fold the flat shortcuts of design.md into their sections."""
        if self.kafka_bootstrap:
            self.kafka = self.kafka.model_copy(update={"bootstrap": self.kafka_bootstrap})
        if self.topic_prefix:
            self.topics = self.topics.model_copy(update={"prefix": self.topic_prefix})
        if self.warehouse_url:
            self.warehouse = self.warehouse.model_copy(update={"url": self.warehouse_url})
        if self.subscriptions:
            self.delivery = self.delivery.model_copy(update={"subscriptions": self.subscriptions})


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
