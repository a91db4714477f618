"""A single-node Kafka 4.x (KRaft, broker+controller) from Maven Central jars, on 127.0.0.1."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from schemas.errors import ConfigError
from streams.infra.paths import project_home, state_dir
from streams.infra.process import port_open, read_pid, stop_process, wait_for

if TYPE_CHECKING:
    from streams.settings import Settings

log = structlog.get_logger(__name__)

SERVER_PROPERTIES = """\
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller_port}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={data_dir}
num.partitions=6
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=168
log.segment.bytes=268435456
"""

LOG4J2_PROPERTIES = """\
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = {log_file}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = kafka
logger.kafka.level = warn
logger.server.name = kafka.server.KafkaServer
logger.server.level = info
"""


@dataclass
class LocalKafka:
    """The embedded broker: jars in ``.cryotrace/kafka/lib``, data in ``.cryotrace/kafka/data``."""

    port: int = 9092
    controller_port: int = 9093
    heap: str = "1g"
    sasl_port: int | None = None
    """With a port, also a SASL_PLAINTEXT listener (mechanism PLAIN) for ``sasl_users``."""
    sasl_users: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def configured(cls, settings: Settings) -> LocalKafka:
        """The local broker of ``settings.local`` (its ports and heap)."""
        local = settings.local
        return cls(
            port=local.kafka_port, controller_port=local.controller_port, heap=local.kafka_heap
        )

    @classmethod
    def serving(cls, settings: Settings) -> LocalKafka | None:
        """The local broker when ``settings``' bootstrap is it, else None (another broker,
        not this machine's to start or measure)."""
        local = cls.configured(settings)
        return local if settings.kafka.bootstrap == local.bootstrap else None

    @property
    def bootstrap(self) -> str:
        """The address clients connect to."""
        return f"127.0.0.1:{self.port}"

    @property
    def home(self) -> Path:
        """This broker's state folder."""
        return state_dir(f"kafka-{self.port}") if self.port != 9092 else state_dir("kafka")

    @property
    def lib_dir(self) -> Path:
        """Jars are shared by every local broker of the project."""
        return state_dir("kafka") / "lib"

    @property
    def pid_file(self) -> Path:
        return self.home / "kafka.pid"

    def running_pid(self) -> int | None:
        """The pid of our broker if it runs."""
        return read_pid(self.pid_file)

    def answers(self) -> bool:
        """True when a broker accepts connections on our port (ours or anybody's)."""
        return port_open("127.0.0.1", self.port)

    def fetch_jars(self) -> None:
        """Download the broker and its Log4j 2 backend through Maven (a no-op once present)."""
        pom_dir = project_home() / "infra" / "kafka"
        stamp = self.lib_dir / ".pom.sha256"
        digest = hashlib.sha256((pom_dir / "pom.xml").read_bytes()).hexdigest()
        if stamp.is_file() and stamp.read_text() == digest:
            return
        mvn = shutil.which("mvn")
        java = shutil.which("java")
        if not mvn or not java:
            raise ConfigError("the local Kafka broker needs Java 17+ and Maven on PATH (mvn, java)")
        shutil.rmtree(self.lib_dir, ignore_errors=True)
        log.info("kafka.fetch_jars", into=str(self.lib_dir))
        subprocess.run(
            [mvn, "-q", "-B", "dependency:copy-dependencies", f"-DoutputDirectory={self.lib_dir}"],
            cwd=pom_dir,
            check=True,
        )
        stamp.write_text(digest)

    def _java(self, *args: str, log_file: Path | None = None) -> list[str]:
        config = self.home / "log4j2.properties"
        config.write_text(LOG4J2_PROPERTIES.format(log_file=log_file or self.home / "tool.log"))
        return [
            "java",
            f"-Xms{self.heap if self.heap.endswith('m') else '512m'}",
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={config}",
            "-cp",
            f"{self.lib_dir}/*",
            *args,
        ]

    def _format_storage(self, properties: Path, data_dir: Path) -> None:
        if (data_dir / "meta.properties").exists():
            return
        cluster_id = (
            subprocess.run(
                self._java("kafka.tools.StorageTool", "random-uuid"),
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        subprocess.run(
            self._java(
                "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(properties)
            ),
            check=True,
            capture_output=True,
            text=True,
        )

    def up(self, timeout: float = 120.0) -> str:
        """Start the broker unless one answers already; wait until it serves clients. Idempotent."""
        if self.answers():
            return self.bootstrap
        self.fetch_jars()
        data_dir = self.home / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        properties = self.home / "server.properties"
        properties.write_text(self._properties(data_dir))
        properties.chmod(0o600)  # may hold the SASL users' passwords
        self._format_storage(properties, data_dir)
        log_file = self.home / "server.log"
        with (self.home / "stdout.log").open("ab") as out:
            process = subprocess.Popen(
                self._java("kafka.Kafka", str(properties), log_file=log_file),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid_file.write_text(str(process.pid))
        if not wait_for(lambda: process.poll() is not None or self._serves(), timeout, 0.5):
            raise ConfigError(
                f"Kafka did not answer on {self.bootstrap} within {timeout:.0f} s; see {log_file}"
            )
        if process.poll() is not None:
            raise ConfigError(
                f"Kafka exited with {process.returncode}; see {log_file} and {self.home}/stdout.log"
            )
        log.info("kafka.up", bootstrap=self.bootstrap, pid=process.pid)
        return self.bootstrap

    def _properties(self, data_dir: Path) -> str:
        text = SERVER_PROPERTIES.format(
            port=self.port, controller_port=self.controller_port, data_dir=data_dir
        )
        if self.sasl_port is None:
            return text
        sasl = f"SASL_PLAINTEXT://127.0.0.1:{self.sasl_port}"
        users = " ".join(f'user_{name}="{password}"' for name, password in self.sasl_users.items())
        text = text.replace(
            f"CONTROLLER://127.0.0.1:{self.controller_port}\n",
            f"CONTROLLER://127.0.0.1:{self.controller_port},{sasl}\n",
            1,
        )
        text = text.replace(
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port},{sasl}",
        )
        text = text.replace(
            "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
        )
        return text + (
            "sasl.enabled.mechanisms=PLAIN\n"
            "listener.name.sasl_plaintext.plain.sasl.jaas.config="
            f"org.apache.kafka.common.security.plain.PlainLoginModule required {users};\n"
        )

    def _serves(self) -> bool:
        """True when the broker answers metadata requests (not just the TCP port)."""
        if not self.answers():
            return False
        from kafka.admin import KafkaAdminClient
        from kafka.errors import KafkaError

        try:
            admin = KafkaAdminClient(
                bootstrap_servers=[self.bootstrap],
                request_timeout_ms=3000,
                client_id="cryotrace-probe",
            )
        except (KafkaError, OSError, ValueError):
            return False
        try:
            admin.list_topics()
            return True
        except (KafkaError, OSError):
            return False
        finally:
            admin.close()

    def down(self) -> bool:
        """Stop our broker; returns whether one was running."""
        pid = self.running_pid()
        if pid is None:
            return False
        stop_process(pid, timeout=60.0)
        self.pid_file.unlink(missing_ok=True)
        return True

    def reset(self) -> None:
        """Stop the broker and delete its data (jars are kept)."""
        self.down()
        shutil.rmtree(self.home / "data", ignore_errors=True)
