"""What the benchmarks share: the real psql binary, a packaged mvrefresh started as a process, CPU
and memory of a process and of its PostgreSQL sessions, percentiles and paired ratios."""
import json
import os
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOKEN = "bench-token"
PGUSER = os.environ.get("PGUSER", "postgres")
PGPASSWORD = os.environ.get("PGPASSWORD", "postgres")


def psql_binary():
    """The real psql, not Debian's Perl wrapper in /usr/bin (which doubles the start-up cost of every call)."""
    try:
        bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
        candidate = os.path.join(bindir, "psql")
        if os.path.exists(candidate):
            return candidate
    except (OSError, subprocess.CalledProcessError):
        pass
    return "psql"


PSQL = [psql_binary(), "-X", "-q", "-At", "-h", "127.0.0.1", "-U", PGUSER]
# JVM options of docker/Dockerfile.jvm, with the container's 384 MiB limit given to the JVM.
JVM_OPTIONS = ["-XX:MaxRAM=384m", "-Djava.util.logging.manager=org.jboss.logmanager.LogManager", "-XX:MaxRAMPercentage=40",
               "-XX:MaxMetaspaceSize=96m", "-XX:ReservedCodeCacheSize=32m", "-XX:MaxDirectMemorySize=32m", "-Xss512k",
               "-XX:TieredStopAtLevel=1", "-XX:TrimNativeHeapInterval=10000", "-XX:+UseSerialGC"]
# As the image sets it (docker/Dockerfile.jvm).
JVM_ENVIRONMENT = {"MALLOC_ARENA_MAX": "2"}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def psql(sql, db):
    return subprocess.run(PSQL + ["-d", db, "-c", sql], check=True, capture_output=True, text=True,
                          env={**os.environ, "PGPASSWORD": PGPASSWORD}).stdout.strip()


def psql_script_output(script, db):
    """Runs a script through one session; answers what its statements printed."""
    return subprocess.run(PSQL + ["-d", db, "-v", "ON_ERROR_STOP=1"], input=script, text=True, check=True, capture_output=True,
                          env={**os.environ, "PGPASSWORD": PGPASSWORD}).stdout


def psql_script(script, db):
    """Runs a script through one session; answers the wall time."""
    started = time.monotonic()
    psql_script_output(script, db)
    return time.monotonic() - started


def psql_scripts_at_once(scripts, db):
    """Runs each script through a session of its own, all at once; answers the wall time until the last ends."""
    started = time.monotonic()
    sessions = [subprocess.Popen(PSQL + ["-d", db, "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True, env={**os.environ, "PGPASSWORD": PGPASSWORD})
                for _ in scripts]
    for session, script in zip(sessions, scripts):
        session.stdin.write(script)
        session.stdin.close()
    for session in sessions:
        if session.wait() != 0:
            raise RuntimeError("psql failed: " + session.stderr.read())
    return time.monotonic() - started


def vacuum_catalogs(db):
    """Every REFRESH leaves dead catalog rows behind (CONCURRENTLY creates and drops temporary
    tables, a plain one gives its view a new file and so a new pg_class row version), faster than
    autovacuum's default pace removes them, and every later statement pays for reading past them.
    Benchmarks vacuum before each contender so all start from the same catalogs, as on a database
    where autovacuum keeps up between bursts."""
    psql("VACUUM pg_catalog.pg_class, pg_catalog.pg_attribute, pg_catalog.pg_type, pg_catalog.pg_depend", db)


def recreate_database(db):
    psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", "postgres")
    psql(f"CREATE DATABASE {db}", "postgres")


def create_tiny_views(db, schema, views, sources=50):
    """{views} materialized views of 100 rows with a unique index each, over {sources} shared tables."""
    statements = [f"CREATE SCHEMA {schema}"]
    for s in range(sources):
        statements.append(f"CREATE TABLE {schema}.source_{s} (id integer PRIMARY KEY, value integer NOT NULL)")
        statements.append(f"INSERT INTO {schema}.source_{s} SELECT g, g * 7 % 1000 FROM generate_series(1, 100) g")
    for i in range(views):
        statements.append(f"CREATE MATERIALIZED VIEW {schema}.mv_{i:05d} AS SELECT id, value + {i} AS value FROM {schema}.source_{i % sources}")
        statements.append(f"CREATE UNIQUE INDEX ON {schema}.mv_{i:05d} (id)")
    psql_script(";\n".join(statements) + ";\nANALYZE;\n", db)


def tiny_view_refreshes(schema, numbers, concurrently=True):
    """REFRESH statements, one per line, for the views of create_tiny_views with these numbers."""
    keyword = "CONCURRENTLY " if concurrently else ""
    return "".join(f"REFRESH MATERIALIZED VIEW {keyword}{schema}.mv_{i:05d};\n" for i in numbers)


def drop_database(db):
    psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", "postgres")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout=300, every=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise TimeoutError("benchmark condition not reached")


def cpu_seconds(pid):
    """User plus system CPU of a process so far, in seconds; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (FileNotFoundError, ProcessLookupError):
        return 0.0


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def paired_ratio(contender, baseline):
    """Median of per-repetition ratios: each pair ran back to back, under the same load."""
    return statistics.median(c / b for c, b in zip(contender, baseline))


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class Mvrefresh:
    """The packaged service as a process, on free ports, against database {db}."""

    def __init__(self, db, settings, redis_port=None, env=None, pg_port=5432):
        self.port = free_port()
        self.management = free_port()
        java = os.path.join(os.environ["JAVA_HOME"], "bin", "java")
        args = [java] + JVM_OPTIONS + [
            f"-Dquarkus.http.port={self.port}", f"-Dquarkus.management.port={self.management}",
            f"-Dquarkus.datasource.reactive.url=postgresql://127.0.0.1:{pg_port}/{db}",
            f"-Dquarkus.datasource.username={PGUSER}", f"-Dquarkus.datasource.password={PGPASSWORD}",
            "-Dquarkus.log.category.\"io.mvrefresh\".level=WARN",
            f"-Dmvrefresh.admin.token={TOKEN}", "-Dmvrefresh.instance=bench"]
        if redis_port:
            args.append(f"-Dquarkus.redis.hosts=redis://127.0.0.1:{redis_port}")
        args += [f"-D{key}={value}" for key, value in settings.items()]
        args += ["-jar", os.path.join(ROOT, "target", "quarkus-app", "quarkus-run.jar")]
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **JVM_ENVIRONMENT, **(env or {})})
        self.db = db
        wait_for(self.started, timeout=300, every=0.2)

    def started(self):
        if self.process.poll() is not None:
            self.log.seek(0)
            raise RuntimeError("mvrefresh exited:\n" + self.log.read().decode(errors="replace")[-4000:])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.management}/q/health/started", timeout=2):
                return True
        except Exception:
            return False

    def request(self, method, path, management=False):
        port = self.management if management else self.port
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                         headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.read()

    def post(self, path):
        return json.loads(self.request("POST", path))

    def last_run_id(self):
        return int(psql("SELECT coalesce(max(id), 0) FROM mvrefresh.refresh_run", self.db))

    def burst(self, views):
        """Forces every view (POST /admin/refresh) and waits for {views} successes; answers the
        wall time from the first run queued to the last finished, and the JVM's CPU seconds meanwhile."""
        before = self.last_run_id()
        cpu_before = cpu_seconds(self.process.pid)
        tickets = self.post("/admin/refresh")
        assert len(tickets) == views, f"expected {views} runs, got {len(tickets)}"
        wait_for(lambda: int(psql(f"SELECT count(*) FROM mvrefresh.refresh_run WHERE id > {before} AND outcome = 'success'",
                                  self.db)) >= views, timeout=1800, every=0.2)
        cpu = cpu_seconds(self.process.pid) - cpu_before
        wall = float(psql(f"SELECT extract(epoch FROM max(finished_at) - min(queued_at)) FROM mvrefresh.refresh_run WHERE id > {before}",
                          self.db))
        failed = int(psql(f"SELECT count(*) FROM mvrefresh.refresh_run WHERE id > {before} AND outcome <> 'success'", self.db))
        assert failed == 0, f"{failed} refreshes failed"
        return wall, cpu

    def session_pids(self):
        rows = psql("SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'mvrefresh/bench%'", self.db)
        return [int(pid) for pid in rows.split()]

    def cpu(self):
        """CPU seconds so far of the JVM and of its PostgreSQL sessions, by session pid."""
        return cpu_seconds(self.process.pid), {pid: cpu_seconds(pid) for pid in self.session_pids()}

    def rss_mib(self):
        return rss_mib(self.process.pid)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            self.process.kill()


def cpu_between(before, after):
    """JVM and sessions' CPU seconds between two Mvrefresh.cpu() readings (sessions opened in between count whole)."""
    jvm = after[0] - before[0]
    sessions = sum(seconds - before[1].get(pid, 0.0) for pid, seconds in after[1].items())
    return jvm, sessions


class PsqlSession:
    """One long-lived session of the real psql binary, fed statement by statement: a connection an
    application's pool keeps open. Each statement must print exactly one line (-At)."""

    def __init__(self, db, port=5432):
        self.process = subprocess.Popen(PSQL + ["-p", str(port), "-d", db, "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, bufsize=1, env={**os.environ, "PGPASSWORD": PGPASSWORD})

    def one(self, sql):
        self.process.stdin.write(sql.rstrip().rstrip(";") + ";\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"psql session ended at: {sql}")
        return line.strip()

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


def resp(*args):
    out = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = str(arg).encode()
        out.append(f"${len(data)}\r\n".encode() + data + b"\r\n")
    return b"".join(out)


class RedisClient:
    """A minimal RESP client: enough for SET, EXISTS, SCAN, UNLINK, GET."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def _line(self):
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("Redis closed the connection")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self.read() for _ in range(count)]
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            while len(self.buffer) < size + 2:
                self.buffer += self.sock.recv(65536)
            data, self.buffer = self.buffer[:size], self.buffer[size + 2:]
            return data
        if kind == b":":
            return int(rest)
        if kind == b"-":
            raise RuntimeError(rest.decode())
        return rest

    def command(self, *args):
        self.sock.sendall(resp(*args))
        return self.read()

    def pipeline(self, commands):
        self.sock.sendall(b"".join(resp(*c) for c in commands))
        return [self.read() for _ in commands]

    def close(self):
        self.sock.close()


class RedisServer:
    """A Redis server of the benchmark's own, on a free port, without persistence."""

    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="mvrefresh-bench-redis")
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no", "--dir", self.dir], stdout=subprocess.DEVNULL)

        def answers():
            try:
                client = RedisClient(self.port)
                client.command("PING")
                client.close()
                return True
            except OSError:
                return False
        wait_for(answers, timeout=10)

    def stop(self):
        import shutil
        self.process.terminate()
        self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def _crc16_table():
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return table


_CRC16 = _crc16_table()


def key_slot(key):
    """The Redis Cluster hash slot of {key} (CRC16/XMODEM mod 16384, hash tags honoured)."""
    data = key.encode() if isinstance(key, str) else key
    start = data.find(b"{")
    if start >= 0:
        end = data.find(b"}", start + 1)
        if end > start + 1:
            data = data[start + 1:end]
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16[((crc >> 8) ^ byte) & 0xFF]
    return crc % 16384


class RedisCluster:
    """A Redis Cluster of the benchmark's own: {primaries} redis-server processes on free ports
    (bus ports too), no replicas, no persistence, slots spread by redis-cli --cluster create."""

    def __init__(self, primaries=3):
        self.dir = tempfile.mkdtemp(prefix="mvrefresh-bench-cluster")
        self.ports = [free_port() for _ in range(primaries)]
        self.processes = []
        for port in self.ports:
            node = os.path.join(self.dir, str(port))
            os.makedirs(node)
            self.processes.append(subprocess.Popen(
                ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                 "--cluster-port", str(free_port()), "--cluster-config-file", os.path.join(node, "nodes.conf"),
                 "--save", "", "--appendonly", "no", "--dir", node], stdout=subprocess.DEVNULL))

        def answers(port):
            try:
                client = RedisClient(port)
                client.command("PING")
                client.close()
                return True
            except OSError:
                return False
        for port in self.ports:
            wait_for(lambda: answers(port), timeout=10)
        subprocess.run(["redis-cli", "--cluster", "create", *[f"127.0.0.1:{port}" for port in self.ports],
                        "--cluster-replicas", "0", "--cluster-yes"], check=True, capture_output=True)
        wait_for(lambda: all(b"cluster_state:ok" in RedisClient(port).command("CLUSTER", "INFO") for port in self.ports),
                 timeout=30)
        self.owner = {}
        for start, end, primary, *_ in RedisClient(self.ports[0]).command("CLUSTER", "SLOTS"):
            for slot in range(start, end + 1):
                self.owner[slot] = int(primary[1])

    def hosts(self):
        return ",".join(f"redis://127.0.0.1:{port}" for port in self.ports)

    def load(self, keys):
        """SETs each key on the primary owning its slot, through redis-cli --pipe."""
        by_port = {port: [] for port in self.ports}
        for key in keys:
            by_port[self.owner[key_slot(key)]].append(resp("SET", key, "cached"))
        for port, commands in by_port.items():
            subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=b"".join(commands), check=True, capture_output=True)

    def count(self, pattern):
        total = 0
        for port in self.ports:
            total += int(subprocess.run(f"redis-cli -p {port} --scan --pattern '{pattern}' | sort -u | wc -l", shell=True,
                                        capture_output=True, text=True).stdout.strip())
        return total

    def stop(self):
        import shutil
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class StreamingPair:
    """A PostgreSQL primary and a streaming standby of the benchmark's own (initdb, then
    pg_basebackup -R) on free ports, from the installed PostgreSQL; run as the postgres user when
    the benchmark runs as root. {standby_settings} go into the standby's configuration."""

    def __init__(self, standby_settings=None):
        self.dir = tempfile.mkdtemp(prefix="mvrefresh-bench-pair")
        version = sorted(os.listdir("/usr/lib/postgresql"), key=lambda v: int("".join(c for c in v if c.isdigit()) or 0))[-1]
        self.bin = f"/usr/lib/postgresql/{version}/bin"
        self.as_server = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.primary_port, self.standby_port = free_port(), free_port()
        primary, standby = os.path.join(self.dir, "primary"), os.path.join(self.dir, "standby")
        self._own()
        self._run("initdb", "-D", primary, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        with open(os.path.join(primary, "postgresql.conf"), "a") as conf:
            conf.write(f"port = {self.primary_port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n"
                       "fsync = off\nfull_page_writes = off\n")
        self._run("pg_ctl", "-D", primary, "-l", os.path.join(self.dir, "primary.log"), "-w", "start")
        self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres", "-D", standby, "-R",
                  "-X", "stream", "--no-sync")
        with open(os.path.join(standby, "postgresql.auto.conf"), "a") as conf:
            conf.write(f"port = {self.standby_port}\nprimary_conninfo = 'host=127.0.0.1 port={self.primary_port} user=postgres"
                       f" application_name=reporting-1'\n")
            for key, value in (standby_settings or {}).items():
                conf.write(f"{key} = '{value}'\n")
        self._own()
        self._run("pg_ctl", "-D", standby, "-l", os.path.join(self.dir, "standby.log"), "-w", "start")

    def _own(self):
        if self.as_server:
            subprocess.run(["chown", "-R", "postgres:postgres", self.dir], check=True)

    def _run(self, program, *args):
        subprocess.run(self.as_server + [os.path.join(self.bin, program), *args], check=True, capture_output=True)

    def psql(self, sql, db="postgres", standby=False):
        port = self.standby_port if standby else self.primary_port
        return subprocess.run(PSQL + ["-p", str(port), "-d", db, "-c", sql], check=True, capture_output=True, text=True,
                              env={**os.environ, "PGPASSWORD": PGPASSWORD}).stdout.strip()

    def stop(self):
        import shutil
        for node in ("standby", "primary"):
            subprocess.run(self.as_server + [os.path.join(self.bin, "pg_ctl"), "-D", os.path.join(self.dir, node), "-m",
                                             "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)
