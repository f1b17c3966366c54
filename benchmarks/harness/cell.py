#!/usr/bin/env python3
"""Run measured cells: fresh fake CRM + fresh database + server + user, then load.py (or startup.py).

  cell.py load --impl ref|app [--db pg|sqlite] [--workers N] --latency MS --conc C [--conc C2 ...]
          --tag NAME [--duration 25 --warmup 3] [--retries 2]
  cell.py count --impl ref|app [--db pg|sqlite] [--workers N] --lifecycles 20 --tag NAME

Every process binds/targets 127.0.0.1 only. Results go to $PERF_OUT (default $PERF_WORK/results).
Paths come from APP_VENV, REF_DIR, PERF_PYTHON, PERF_WORK, PERF_OUT (see README.md).
"""
import argparse
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.parse
import urllib.request

HARNESS = os.path.dirname(os.path.abspath(__file__))  # fake_crm.py and load.py sit beside this file
PY_HARNESS = os.environ.get("PERF_PYTHON", sys.executable)  # a Python with aiohttp (no uvloop, as the baseline)
APP_VENV = os.environ.get("APP_VENV", "")  # venv with appconnect installed (for --impl app)
REF_DIR = os.environ.get("REF_DIR", "")  # built reference checkout (for --impl ref)
WORK = os.environ.get("PERF_WORK", os.path.join(os.path.expanduser("~"), ".cache", "appconnect-perf"))
CERT_DIR = os.path.join(WORK, "cert")
CERT = os.path.join(CERT_DIR, "cert.pem")
OUT = os.environ.get("PERF_OUT", os.path.join(WORK, "results"))
SECRET = "perf-secret-key-0123456789abcdef0123456789abcdef"
HASH_KEY = "perf-hash-key-0123456789abcdef"
USER_ID = "12345-pipedrive"
FAKE_PORT, APP_PORT, REF_PORT = 9443, 7301, 7302
PG = "postgresql://postgres@127.0.0.1:5432"
PG_LOG = os.environ.get("PG_LOG", "/var/log/postgresql/postgresql-15-main.log")


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, capture_output=True, text=True, **kw).stdout


def postmaster_pid():
    with open(os.path.join(os.environ.get("PGDATA", "/var/lib/postgresql/15/main"), "postmaster.pid")) as f:
        return int(f.readline())


def busy_cores(seconds=2.0):
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        idle = v[3] + v[4]
        return sum(v[:8]) - idle, sum(v[:8])
    b0, t0 = snap()
    time.sleep(seconds)
    b1, t1 = snap()
    return (os.cpu_count() or 1) * (b1 - b0) / max(1, t1 - t0)


def wait_idle(max_wait=60, threshold=0.25):
    end = time.time() + max_wait
    while True:
        b = busy_cores(3.0)
        if b < threshold or time.time() > end:
            return round(b, 2)
        print(f"  waiting for idle machine (busy {b:.2f} cores)", flush=True)


def http_ok(url, timeout=1.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status == 200
    except Exception:
        return False


def wait_http(url, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        if http_ok(url):
            return True
        time.sleep(0.05)
    raise RuntimeError(f"not alive: {url}")


def fake_stats():
    ctx = ssl.create_default_context(cafile=CERT)
    with urllib.request.urlopen(f"https://127.0.0.1:{FAKE_PORT}/_stats", context=ctx, timeout=5) as r:
        return json.loads(r.read())


class Proc:
    def __init__(self, cmd, env, log, cwd=None):
        self.p = subprocess.Popen(cmd, shell=True, env=env, cwd=cwd, start_new_session=True,
                                  stdout=open(log, "ab"), stderr=subprocess.STDOUT)

    @property
    def pid(self):
        return self.p.pid

    def stop(self):
        try:
            os.killpg(self.p.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait()


def base_env():
    env = dict(os.environ)
    for k in ("NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_DIR"):
        env.pop(k, None)
    return env


def app_env(db_url, run_dir, extra=None):
    env = base_env()
    env.update({
        "IS_PROD": "true", "APP_SERVER_SECRET_KEY": SECRET, "HASH_KEY": HASH_KEY,
        "APPCONNECT_ALLOW_PRIVATE_NETWORKS": "true",  # production refuses loopback CRM hosts otherwise
        "LOG_LEVEL": "INFO", "APP_HOST": "127.0.0.1", "PORT": str(APP_PORT),
        "APP_SERVER": f"http://127.0.0.1:{APP_PORT}",
        "PIPEDRIVE_CLIENT_ID": "perf-client", "PIPEDRIVE_CLIENT_SECRET": "perf-client-secret",
        "PIPEDRIVE_API_BASE_URL": f"https://127.0.0.1:{FAKE_PORT}",
        "PIPEDRIVE_OAUTH_BASE_URL": f"https://127.0.0.1:{FAKE_PORT}",
        "SSL_CERT_FILE": CERT, "DATABASE_URL": db_url,
        "SAMPLE_CRM_DATABASE_URL": f"sqlite:///{run_dir}/sample-crm.db",
        "APPCONNECT_STATE_FILE": f"{run_dir}/state.json",
    })
    env.update(extra or {})
    return env


def ref_env(db_url):
    env = base_env()
    env.update({
        "NODE_ENV": "production", "IS_PROD": "true", "LOG_LEVEL": "INFO",
        "APP_SERVER_SECRET_KEY": SECRET, "HASH_KEY": HASH_KEY,
        "APP_HOST": "127.0.0.1", "PORT": str(REF_PORT), "APP_SERVER": f"http://127.0.0.1:{REF_PORT}",
        "DATABASE_URL": db_url, "NODE_EXTRA_CA_CERTS": CERT,
    })
    env.pop("MIXPANEL_TOKEN", None)
    return env


def new_pg_db(name, log_all=False):
    sh(f"dropdb -h 127.0.0.1 -U postgres --if-exists --force {name}")
    sh(f"createdb -h 127.0.0.1 -U postgres {name}")
    if log_all:  # only sessions of this database log their statements (for counting)
        sh(f"psql -h 127.0.0.1 -U postgres -d postgres -c \"ALTER DATABASE {name} SET log_statement='all'\"")
    return f"{PG}/{name}"


def drop_pg_db(name):
    subprocess.run(f"dropdb -h 127.0.0.1 -U postgres --if-exists --force {name}", shell=True)


def app_login():
    """The real OAuth login: /oauth-callback exchanges a code at the fake's /oauth/token, reads
    /v1/users/me, stores the user (tokens encrypted), returns the session JWT."""
    cb = (f"http://127.0.0.1:{APP_PORT}/pipedrive-redirect?code=perf-code&state="
          + urllib.parse.quote("platform=pipedrive"))
    q = urllib.parse.urlencode({"callbackUri": cb, "hostname": f"127.0.0.1:{FAKE_PORT}",
                                "rcAccountId": "perf-rc-account"})
    req = urllib.request.Request(f"http://127.0.0.1:{APP_PORT}/oauth-callback?{q}",
                                 headers={"rc-extension-id": "perf-hashed-ext"})
    with urllib.request.urlopen(req, timeout=30) as r:
        body = json.loads(r.read())
    if not body.get("jwtToken"):
        raise RuntimeError(f"login failed: {body}")
    return body["jwtToken"]


REF_SEED = """INSERT INTO users (id, "rcAccountId", hostname, "timezoneName", "timezoneOffset", platform,
 "accessToken", "refreshToken", "tokenExpiry", "platformAdditionalInfo", "hashedRcExtensionId", "userSettings",
 "createdAt", "updatedAt") VALUES ('{uid}', 'perf-rc-account', '127.0.0.1:{port}', 'UTC', '+00:00', 'pipedrive',
 'fake-access-token', 'fake-refresh-token', '2099-01-01T00:00:00Z', '{{}}', 'perf-hashed-ext', '{{}}', now(), now());"""


def ref_seed(dbname):
    # The reference creates its tables asynchronously at boot (and holds requests until then).
    for _ in range(100):
        n = sh(f"psql -h 127.0.0.1 -U postgres -d {dbname} -Atc \"select count(*) from pg_tables where tablename='users'\"").strip()
        if n == "1":
            break
        time.sleep(0.1)
    r = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", dbname, "-v", "ON_ERROR_STOP=1"],
                       input=REF_SEED.format(uid=USER_ID, port=FAKE_PORT), capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"seeding the reference user failed: {r.stderr}")


class Setup:
    """fake CRM + database + server + user, for one cell."""

    def __init__(self, a, latency, name, server_extra_env=None, log_all=False):
        self.a, self.name = a, name
        self.run_dir = f"{OUT}/logs/{name}"
        os.makedirs(self.run_dir, exist_ok=True)
        self.procs = []
        self.dbname = None
        try:
            self._start(a, latency, name, server_extra_env, log_all)
        except BaseException:
            self.close()
            raise

    def _start(self, a, latency, name, server_extra_env, log_all):
        self.fake = Proc(f"exec {PY_HARNESS} {HARNESS}/fake_crm.py --https-port {FAKE_PORT} "
                         f"--cert-dir {CERT_DIR} --latency-ms {latency}", base_env(), f"{self.run_dir}/fake.log")
        self.procs.append(self.fake)
        end = time.time() + 20
        while time.time() < end:
            try:
                fake_stats()
                break
            except Exception:
                time.sleep(0.1)
        if a.impl == "ref":
            self.dbname = f"perf_{name}".replace("-", "_").lower()
            url = new_pg_db(self.dbname, log_all)
            self.port = REF_PORT
            self.server = Proc("exec node .ts-build/src/server.js", ref_env(url), f"{self.run_dir}/server.log",
                               cwd=REF_DIR)
            self.procs.insert(0, self.server)
            wait_http(f"http://127.0.0.1:{REF_PORT}/isAlive")
            ref_seed(self.dbname)
            self.jwt_args = ["--jwt-secret", SECRET, "--user-id", USER_ID]
        else:
            if a.db == "pg":
                self.dbname = f"perf_{name}".replace("-", "_").lower()
                url = new_pg_db(self.dbname, log_all)
            else:
                url = f"sqlite:///{self.run_dir}/app.db"
                for suffix in ("", "-wal", "-shm"):
                    if os.path.exists(f"{self.run_dir}/app.db{suffix}"):
                        os.remove(f"{self.run_dir}/app.db{suffix}")
            self.port = APP_PORT
            self.server = Proc(f"exec {APP_VENV}/bin/appconnect serve --workers {a.workers}",
                               app_env(url, self.run_dir, server_extra_env), f"{self.run_dir}/server.log",
                               cwd=self.run_dir)
            self.procs.insert(0, self.server)
            wait_http(f"http://127.0.0.1:{APP_PORT}/isAlive")
            jwt = app_login()
            self.jwt_args = ["--jwt", jwt]

    def close(self):
        for p in self.procs:
            p.stop()
        if self.dbname and not self.a.keep_db:
            drop_pg_db(self.dbname)


def impl_label(a):
    if a.impl == "ref":
        return "ref"
    return f"app-{a.workers}w-{a.db}"


def cmd_load(a):
    os.makedirs(OUT, exist_ok=True)
    for conc in a.conc:
        for attempt in range(a.retries + 1):
            name = f"{a.tag}-{impl_label(a)}-{int(a.latency)}ms-c{conc}" + (f"-try{attempt}" if attempt else "")
            idle = wait_idle(a.idle_wait)
            print(f"== {name} (machine busy before: {idle} cores)", flush=True)
            s = Setup(a, a.latency, name)
            try:
                st0 = fake_stats()
                out = f"{OUT}/{name}.json"
                cmd = [PY_HARNESS, f"{HARNESS}/load.py", "--base-url", f"http://127.0.0.1:{s.port}", *s.jwt_args,
                       "--concurrency", str(conc), "--duration", str(a.duration), "--warmup", str(a.warmup),
                       "--server-pid", "auto", "--watch", f"crm={s.fake.pid}",
                       "--label", name, "--out", out,
                       "--crm-stats-url", f"https://127.0.0.1:{FAKE_PORT}/_stats", "--crm-ca", CERT]
                if s.dbname:
                    cmd += ["--watch", f"postgres={postmaster_pid()}"]
                if a.profile:
                    lp = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                    time.sleep(a.warmup + 2.0)  # preflight + warm-up
                    pid = s.server.pid
                    prof = f"{OUT}/{name}.pyspy"
                    subprocess.run([f"{APP_VENV}/bin/py-spy", "record", "-p", str(pid), "--duration",
                                    str(int(a.profile)), "--rate", "100", "--nonblocking", "--format", "raw",
                                    "-o", f"{prof}.collapsed.txt", "--threads"], capture_output=True)
                    out_s, err_s = lp.communicate()
                    r = subprocess.CompletedProcess(cmd, lp.returncode, out_s, err_s)
                else:
                    r = subprocess.run(cmd, capture_output=True, text=True)
                print(r.stdout[-2500:], r.stderr[-1500:], flush=True)
                st1 = fake_stats()
            finally:
                s.close()
            if r.returncode != 0:
                print(f"!! load.py failed rc={r.returncode}", flush=True)
                break
            res = json.load(open(out))
            res["crm_stats_delta"] = {k: st1["counts"].get(k, 0) - st0["counts"].get(k, 0) for k in st1["counts"]}
            res["machine_busy_before"] = idle
            json.dump(res, open(out, "w"), indent=2)
            un = res["system"].get("unattributed_cores")
            if un is not None and un > 0.15 and attempt < a.retries:
                print(f"!! noisy run (unattributed {un} cores): retrying", flush=True)
                os.rename(out, out.replace(".json", ".noisy.json"))
                continue
            break


def pg_log_size():
    return os.path.getsize(PG_LOG)


def count_pg_statements(start, dbname):
    import collections
    counts = collections.Counter()
    with open(PG_LOG, "rb") as f:
        f.seek(start)
        for raw in f:
            line = raw.decode(errors="replace")
            if f"@{dbname} " not in line:
                continue
            for marker in ("LOG:  statement: ", "LOG:  execute "):
                i = line.find(marker)
                if i >= 0:
                    stmt = line[i + len(marker):]
                    if marker == "LOG:  execute ":
                        stmt = stmt.split(":", 1)[1] if ":" in stmt else stmt
                    counts[stmt.strip().split(None, 1)[0].upper() if stmt.strip() else "?"] += 1
    return counts


def _line_count(path):
    """appconnect addition: lines the server has logged so far (its whole output, at LOG_LEVEL=INFO)."""
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except OSError:
        return 0


def cmd_count(a):
    """Exactly N lifecycles at c=1, then CRM requests and SQL statements per lifecycle."""
    sys.path.insert(0, HARNESS)
    import asyncio
    import aiohttp
    import load as L  # the unmodified harness: its Runner.lifecycle is the workload
    name = f"{a.tag}-{impl_label(a)}-count"
    extra = {}
    sqlcount_file = f"{OUT}/logs/{name}/sqlalchemy-counts.json"
    if a.impl == "app":
        extra = {"PYTHONPATH": os.path.dirname(os.path.abspath(__file__)) + "/sqlcount",
                 "SQLCOUNT_FILE": sqlcount_file}
    s = Setup(a, 0, name, extra, log_all=True)
    try:
        la = argparse.Namespace(base_url=f"http://127.0.0.1:{s.port}", phones="unique", require_details=True,
                                verbose=False, error_backoff_ms=0)
        jwts = [s.jwt_args[1]] if s.jwt_args[0] == "--jwt" else [L.make_jwt(SECRET, USER_ID, "pipedrive")]

        async def go():
            r = L.Runner(la, jwts)
            async with aiohttp.ClientSession() as session:
                await r.lifecycle(session, 0, 10**8)  # warm: activity types, pools, caches
                time.sleep(0.5)
                st0 = fake_stats()
                sc0 = json.load(open(sqlcount_file)) if os.path.exists(sqlcount_file) else {}
                pos = pg_log_size()
                log_path = f"{s.run_dir}/server.log"
                log0 = _line_count(log_path)
                for n in range(a.lifecycles):
                    await r.lifecycle(session, 1, 10**8 + 1 + n)
                await asyncio.sleep(1.0)
                s.log_lines = _line_count(log_path) - log0
                st1 = fake_stats()
                sc1 = json.load(open(sqlcount_file)) if os.path.exists(sqlcount_file) else {}
                return st0, st1, pos, sc0, sc1
        st0, st1, pos, sc0, sc1 = asyncio.run(go())
        time.sleep(1.0)
        res = {"label": name, "lifecycles": a.lifecycles,
               "crm_per_lifecycle": {k: (st1["counts"].get(k, 0) - st0["counts"].get(k, 0)) / a.lifecycles
                                     for k in st1["counts"]},
               "crm_total_per_lifecycle": (st1["total"] - st0["total"]) / a.lifecycles,
               "crm_connections_opened": st1.get("connections", 0) - st0.get("connections", 0),
               "log_lines_per_lifecycle": s.log_lines / a.lifecycles}
        if s.dbname:
            c = count_pg_statements(pos, s.dbname)
            res["pg_statements_per_lifecycle"] = {k: v / a.lifecycles for k, v in c.most_common()}
            res["pg_statements_total_per_lifecycle"] = sum(c.values()) / a.lifecycles
        if sc1:
            res["sqlalchemy_per_lifecycle"] = {k: (sc1.get(k, 0) - sc0.get(k, 0)) / a.lifecycles for k in sc1}
        print(json.dumps(res, indent=2))
        json.dump(res, open(f"{OUT}/{name}.json", "w"), indent=2)
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["load", "count"])
    ap.add_argument("--impl", choices=["ref", "app"], required=True)
    ap.add_argument("--db", choices=["pg", "sqlite"], default="pg")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--latency", type=float, default=0)
    ap.add_argument("--conc", type=int, action="append", default=[])
    ap.add_argument("--duration", type=float, default=25)
    ap.add_argument("--warmup", type=float, default=3)
    ap.add_argument("--retries", type=int, default=2)
    ap.add_argument("--lifecycles", type=int, default=20)
    ap.add_argument("--tag", default="m")
    ap.add_argument("--keep-db", action="store_true")
    ap.add_argument("--profile", type=float, default=0, help="py-spy record the server for this many seconds")
    ap.add_argument("--idle-wait", type=float, default=40, help="max seconds to wait for an idle machine")
    a = ap.parse_args()
    if a.mode == "load":
        cmd_load(a)
    else:
        cmd_count(a)


if __name__ == "__main__":
    main()
