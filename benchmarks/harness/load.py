#!/usr/bin/env python3
"""Closed-loop load generator for any App Connect connector server.

Each simulated call runs the lifecycle the browser extension drives:
  1. GET   /contact?phoneNumber=<E.164>            find the caller (must return a real contact)
  2. POST  /callLog                                create the CRM activity (call in progress)
  3. PATCH /callLog                                final data: duration, result, subject, note, legs
  4. PATCH /callLog                                recording link
  5. GET   /callLog?sessionIds=..&requireDetails=  read the log back (must be matched)
A response only counts as OK if it is HTTP 200, JSON, and `successful` is true (plus the
route-specific checks above). `--concurrency` workers each run lifecycles back to back
(closed loop) for `--warmup` + `--duration` seconds; only the measured window is reported.

It samples the server's process tree (by --server-pid, or auto-discovered from the port
of --base-url) from /proc: peak RSS and CPU time; and reports its own CPU use, since the
harness usually shares the machine's cores with the server.

Usage:
  python3 load.py --base-url http://127.0.0.1:7301 --jwt <JWT> --concurrency 16 --duration 25 \
      [--warmup 3] [--require-details true|false] [--phones unique|pool:N] \
      [--watch crm=PID --watch postgres=PID] [--label name] [--out result.json]
  JWT alternatives: --jwt-file FILE (one token per line; workers round-robin) or
  --jwt-secret S --user-id 12345-pipedrive [--platform pipedrive] (HS256, payload {id, platform}).
"""
import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import math
import os
import random
import resource
import socket
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timedelta, timezone

import aiohttp

try:  # optional; makes the harness itself cheaper
    import uvloop  # type: ignore
except Exception:  # pragma: no cover
    uvloop = None

ROUTES = ["GET /contact", "POST /callLog", "PATCH /callLog (final)",
          "PATCH /callLog (recording)", "GET /callLog"]
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
AREAS = ["650", "415", "408", "212", "312", "617", "206", "303", "512", "404"]


# ----------------------------------------------------------------------------- JWT helper
def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def make_jwt(secret, user_id, platform, ttl_s=14 * 86400):
    now = int(time.time())
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"id": user_id, "platform": platform, "iat": now, "exp": now + ttl_s},
                                separators=(",", ":")).encode())
    sig = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(sig)}"


# ----------------------------------------------------------------------------- /proc sampling
def read_proc_table():
    """pid -> (ppid, utime+stime ticks, cutime+cstime ticks, rss pages)"""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read().decode(errors="replace")
        except OSError:
            continue
        rpar = data.rfind(")")
        fields = data[rpar + 2:].split()
        # fields[0]=state, [1]=ppid, [11]=utime, [12]=stime, [13]=cutime, [14]=cstime, [21]=rss
        try:
            table[int(name)] = (int(fields[1]), int(fields[11]) + int(fields[12]),
                                int(fields[13]) + int(fields[14]), int(fields[21]))
        except (IndexError, ValueError):
            continue
    return table


def tree_pids(table, root):
    children = {}
    for pid, (ppid, *_rest) in table.items():
        children.setdefault(ppid, []).append(pid)
    out, stack = [], [root]
    while stack:
        p = stack.pop()
        if p in table:
            out.append(p)
            stack.extend(children.get(p, []))
    return out


def tree_usage(table, root):
    pids = tree_pids(table, root)
    if not pids:
        return None
    cpu = sum(table[p][1] for p in pids) + table[root][2]
    rss = sum(table[p][3] for p in pids) * PAGE
    return {"pids": len(pids), "cpu_s": cpu / CLK_TCK, "rss_bytes": rss}


def system_cpu():
    """(busy_ticks, total_ticks) over all cores, from /proc/stat."""
    with open("/proc/stat") as f:
        vals = [int(x) for x in f.readline().split()[1:]]
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
    total = sum(vals[:8])
    return total - idle, total


def vm_hwm_bytes(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def pid_listening_on(port):
    """Find the PID owning a LISTEN socket on the given TCP port (IPv4/IPv6)."""
    inodes = set()
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    local, state, inode = parts[1], parts[3], parts[9]
                    if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                        inodes.add(f"socket:[{inode}]")
        except OSError:
            continue
    if not inodes:
        return None
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        fd_dir = f"/proc/{name}/fd"
        try:
            for fd in os.listdir(fd_dir):
                try:
                    if os.readlink(f"{fd_dir}/{fd}") in inodes:
                        found.append(int(name))
                        break
                except OSError:
                    continue
        except OSError:
            continue
    if not found:
        return None
    # If several processes share the socket (pre-fork workers), return their common ancestor.
    table = read_proc_table()
    found_set = set(found)
    for pid in sorted(found):
        if table.get(pid, (0,))[0] not in found_set:
            return pid
    return min(found)


class Sampler(threading.Thread):
    def __init__(self, targets, interval):
        super().__init__(daemon=True)
        self.targets = targets  # name -> root pid
        self.interval = interval
        self.stop_evt = threading.Event()
        self.lock = threading.Lock()
        self.peak_rss = {n: 0 for n in targets}
        self.last = {}

    def snapshot(self):
        table = read_proc_table()
        snap = {}
        for name, pid in self.targets.items():
            u = tree_usage(table, pid)
            if u:
                snap[name] = u
                with self.lock:
                    self.peak_rss[name] = max(self.peak_rss[name], u["rss_bytes"])
        with self.lock:
            self.last = snap
        return snap

    def reset_peaks(self):
        with self.lock:
            self.peak_rss = {n: 0 for n in self.targets}

    def run(self):
        while not self.stop_evt.wait(self.interval):
            self.snapshot()


# ----------------------------------------------------------------------------- lifecycle
class Stats:
    def __init__(self):
        self.lat = {r: [] for r in ROUTES}
        self.err = {r: 0 for r in ROUTES}
        self.samples = []
        self.life_ok = 0
        self.life_fail = 0
        self.life_lat = []
        self.req_ok = 0
        self.req_total = 0


class Failure(Exception):
    pass


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class Runner:
    def __init__(self, args, jwts):
        self.a = args
        self.base = args.base_url.rstrip("/")
        self.jwts = jwts
        self.measuring = False
        self.window_start = self.window_end = None
        self.stats = Stats()
        self.seq = 0
        self.run_tag = f"{os.getpid():x}{int(time.time()) & 0xffffff:x}"
        if args.phones.startswith("pool:"):
            n = int(args.phones.split(":", 1)[1])
            rnd = random.Random(42)
            self.pool = [self._rand_phone(rnd) for _ in range(n)]
        else:
            self.pool = None

    @staticmethod
    def _rand_phone(rnd):
        exch = rnd.randint(200, 999)
        while exch % 100 == 11:
            exch = rnd.randint(200, 999)
        return f"+1{rnd.choice(AREAS)}{exch}{rnd.randint(0, 9999):04d}"

    def phone(self, n):
        if self.pool:
            return self.pool[n % len(self.pool)]
        return self._rand_phone(random)

    async def call(self, session, route, method, url, headers, body=None, check=None):
        t0 = time.perf_counter()
        status, payload, err = None, None, None
        try:
            data = None if body is None else json.dumps(body, separators=(",", ":"))
            async with session.request(method, url, data=data, headers=headers) as resp:
                status = resp.status
                raw = await resp.read()
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                err = f"non-JSON body: {raw[:200]!r}"
            if err is None and status != 200:
                err = f"HTTP {status}: {raw[:300]!r}"
            if err is None and not (isinstance(payload, dict) and payload.get("successful") is True):
                err = f"not successful: {raw[:300]!r}"
            if err is None and check is not None:
                err = check(payload)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # network error, timeout
            err = f"{type(e).__name__}: {e}"
        t1 = time.perf_counter()
        st = self.stats
        counted = self.measuring and self.window_start <= t1 <= self.window_end
        if counted:
            st.req_total += 1
            if err is None:
                st.req_ok += 1
                st.lat[route].append((t1 - t0) * 1000.0)
            else:
                st.err[route] += 1
                if len(st.samples) < 20:
                    st.samples.append(f"{route}: {err}")
        if err is not None:
            if not counted and self.a.verbose:
                print(f"[outside window] {route}: {err}", file=sys.stderr)
            raise Failure(f"{route}: {err}")
        return payload

    async def lifecycle(self, session, worker, n, verbose=False):
        a = self.a
        jwt = self.jwts[n % len(self.jwts)]
        auth = {"Authorization": f"Bearer {jwt}"}
        jhdr = {"Authorization": f"Bearer {jwt}", "Content-Type": "application/json"}
        phone = self.phone(n)
        agent_phone = "+16505550199"
        ext_number = str(100 + worker % 900)
        hashed_ext = f"perf-ext-{self.run_tag}-{worker}"
        session_id = f"{self.run_tag}{n:09d}"
        tel_session = f"s-perf-{self.run_tag}-{n}"
        outbound = n % 2 == 0
        start = datetime.now(timezone.utc) - timedelta(seconds=150)
        duration = 30 + (n % 600)

        # 1. find contact
        q = urllib.parse.urlencode({"phoneNumber": phone})

        def check_contact(p):
            real = [c for c in (p.get("contact") or []) if not c.get("isNewContact")]
            return None if real else "no matching (non-new) contact returned"

        p = await self.call(session, ROUTES[0], "GET", f"{self.base}/contact?{q}", auth, check=check_contact)
        contact = next(c for c in p["contact"] if not c.get("isNewContact"))
        additional = {}
        info = contact.get("additionalInfo") or {}
        if info.get("deals"):
            additional["deals"] = info["deals"][0]["const"]
        elif info.get("leads"):
            additional["leads"] = info["leads"][0]["const"]

        them = {"phoneNumber": phone, "name": contact.get("name", "")}
        me = {"phoneNumber": agent_phone, "extensionNumber": ext_number, "name": "Perf Agent"}
        frm, to = (me, them) if outbound else (them, me)
        direction = "Outbound" if outbound else "Inbound"

        # 2. create the log (call in progress)
        create = {
            "logInfo": {
                "id": f"rec-{self.run_tag}-{n}", "sessionId": session_id, "telephonySessionId": tel_session,
                "direction": direction, "from": frm, "to": to, "startTime": iso(start),
                "duration": 0, "result": "In Progress", "action": "Phone Call", "type": "Voice",
                "extensionNumber": ext_number,
            },
            "hashedExtensionId": hashed_ext, "extensionNumber": ext_number,
            "contactId": str(contact["id"]), "contactName": contact.get("name", ""),
            "contactType": contact.get("type", ""),
            "note": f"Perf call {n}: customer asked about renewal pricing.",
            "additionalSubmission": additional,
        }
        await self.call(session, ROUTES[1], "POST", f"{self.base}/callLog", jhdr, create,
                        check=lambda p: None if p.get("logId") not in (None, "") else "no logId")

        # 3. final call data
        final = {
            "sessionId": session_id, "telephonySessionId": tel_session,
            "hashedExtensionId": hashed_ext, "extensionNumber": ext_number,
            "startTime": iso(start), "duration": duration, "result": "Call connected",
            "direction": direction, "from": frm, "to": to,
            "subject": f"{direction} call {'to' if outbound else 'from'} {contact.get('name', '')}",
            "note": f"Perf call {n}: customer asked about renewal pricing. Follow up next week.",
            "legs": [{"direction": direction, "from": frm, "to": to, "duration": duration,
                      "result": "Call connected", "legType": "Accept"}],
            "additionalSubmission": additional,
        }
        await self.call(session, ROUTES[2], "PATCH", f"{self.base}/callLog", jhdr, final)

        # 4. recording link
        rec = {
            "sessionId": session_id, "telephonySessionId": tel_session,
            "hashedExtensionId": hashed_ext, "extensionNumber": ext_number,
            "recordingLink": f"https://recordings.example.invalid/{self.run_tag}/{n}",
        }
        await self.call(session, ROUTES[3], "PATCH", f"{self.base}/callLog", jhdr, rec)

        # 5. read back
        q = urllib.parse.urlencode({"sessionIds": session_id, "hashedExtensionId": hashed_ext,
                                    "extensionNumber": ext_number,
                                    "requireDetails": "true" if a.require_details else "false"})

        def check_get(p):
            logs = p.get("logs") or []
            if not logs or not logs[0].get("matched"):
                return "log not matched"
            return None

        p = await self.call(session, ROUTES[4], "GET", f"{self.base}/callLog?{q}", auth, check=check_get)
        if verbose:
            print(json.dumps(p)[:600])

    async def worker(self, session, wid, deadline):
        st = self.stats
        while time.perf_counter() < deadline:
            n = self.seq
            self.seq += 1
            t0 = time.perf_counter()
            try:
                await self.lifecycle(session, wid, n)
                ok = True
            except Failure:
                ok = False
            t1 = time.perf_counter()
            if self.measuring and self.window_start <= t1 <= self.window_end:
                if ok:
                    st.life_ok += 1
                    st.life_lat.append((t1 - t0) * 1000.0)
                else:
                    st.life_fail += 1
            if not ok and self.a.error_backoff_ms:
                await asyncio.sleep(self.a.error_backoff_ms / 1000.0)


def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    k = max(0, math.ceil(p / 100.0 * len(sorted_vals)) - 1)
    return round(sorted_vals[k], 2)


def summarize(vals):
    s = sorted(vals)
    if not s:
        return {"n": 0}
    return {"n": len(s), "p50": pct(s, 50), "p95": pct(s, 95), "p99": pct(s, 99),
            "mean": round(sum(s) / len(s), 2), "max": round(s[-1], 2)}


def machine_info():
    model = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) // 1024
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu_model": model, "mem_total_mb": mem,
            "hostname_hash": hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]}


async def wait_alive(base, timeout):
    end = time.time() + timeout
    async with aiohttp.ClientSession() as s:
        while time.time() < end:
            try:
                async with s.get(f"{base}/isAlive", timeout=aiohttp.ClientTimeout(total=2)) as r:
                    if r.status == 200:
                        return True
            except Exception:
                pass
            await asyncio.sleep(0.1)
    return False


async def crm_stats(args):
    """appconnect addition: the fake CRM's /_stats (requests, connections) at a window mark."""
    if not args.crm_stats_url:
        return None
    import ssl as _ssl
    ctx = _ssl.create_default_context(cafile=args.crm_ca) if args.crm_ca else None
    try:
        async with aiohttp.ClientSession() as s:
            async with s.get(args.crm_stats_url, ssl=ctx, timeout=aiohttp.ClientTimeout(total=5)) as resp:
                return await resp.json()
    except Exception:
        return None


async def run(args, jwts):
    r = Runner(args, jwts)
    base = r.base
    if not await wait_alive(base, args.alive_timeout):
        sys.exit(f"server not alive at {base}/isAlive")

    server_pid = None
    if args.server_pid == "auto":
        port = urllib.parse.urlsplit(base).port or 80
        server_pid = pid_listening_on(port)
    elif args.server_pid:
        server_pid = int(args.server_pid)
    targets = {}
    if server_pid:
        targets["server"] = server_pid
    for w in args.watch:
        name, pid = w.split("=", 1)
        targets[name] = int(pid)
    sampler = Sampler(targets, args.sample_interval)
    pre = sampler.snapshot()

    connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300, keepalive_timeout=60)
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     skip_auto_headers=("User-Agent",),
                                     headers={"User-Agent": "appconnect-perf/1"}) as session:
        if not args.no_preflight:
            try:
                await r.lifecycle(session, 0, 10**8 + random.randint(0, 10**6), verbose=args.verbose)
            except Failure as e:
                sys.exit(f"preflight lifecycle failed: {e}")
        sampler.start()
        t_begin = time.perf_counter()
        r.window_start = t_begin + args.warmup
        r.window_end = r.window_start + args.duration
        r.measuring = True
        deadline = r.window_end
        tasks = [asyncio.create_task(r.worker(session, w, deadline)) for w in range(args.concurrency)]
        # Mark the start of the measured window: take CPU / RSS baselines there.
        await asyncio.sleep(max(0.0, r.window_start - time.perf_counter()))
        sampler.reset_peaks()
        crm0 = await crm_stats(args)
        cpu0 = sampler.snapshot()
        sys0 = system_cpu()
        ru0 = resource.getrusage(resource.RUSAGE_SELF)
        w0 = time.perf_counter()
        await asyncio.sleep(max(0.0, r.window_end - time.perf_counter()))
        cpu1 = sampler.snapshot()
        crm1 = await crm_stats(args)
        sys1 = system_cpu()
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        w1 = time.perf_counter()
        done, pending = await asyncio.wait(tasks, timeout=args.grace)
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    sampler.stop_evt.set()
    post = sampler.snapshot()

    window = w1 - w0
    st = r.stats
    result = {
        "label": args.label,
        "time_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "config": {"base_url": base, "concurrency": args.concurrency, "duration_s": args.duration,
                   "warmup_s": args.warmup, "require_details": args.require_details,
                   "phones": args.phones, "users": len(jwts), "timeout_s": args.timeout,
                   "client": f"aiohttp {aiohttp.__version__}" + (" + uvloop" if uvloop and not args.no_uvloop else ""),
                   "python": sys.version.split()[0]},
        "machine": machine_info(),
        "window_s": round(window, 3),
        "lifecycles_ok": st.life_ok,
        "lifecycles_failed": st.life_fail,
        "lifecycles_per_s": round(st.life_ok / window, 2),
        "requests_total": st.req_total,
        "requests_ok": st.req_ok,
        "requests_per_s": round(st.req_ok / window, 2),
        "errors": {k: v for k, v in st.err.items()},
        "error_count": sum(st.err.values()),
        "error_samples": st.samples,
        "latency_ms": {k: summarize(v) for k, v in st.lat.items()},
        "lifecycle_latency_ms": summarize(st.life_lat),
        "harness": {"cpu_s": round((ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime), 3)},
        "crm_window": None if not (crm0 and crm1) else {
            "requests": crm1["total"] - crm0["total"],
            "connections_opened": crm1.get("connections", 0) - crm0.get("connections", 0)},
        "processes": {},
    }
    result["harness"]["cpu_pct_of_one_core"] = round(100 * result["harness"]["cpu_s"] / window, 1)
    busy, total = sys1[0] - sys0[0], sys1[1] - sys0[1]
    result["system"] = {"cpu_busy_pct_of_all_cores": round(100 * busy / total, 1) if total else None,
                        "cpu_busy_cores": round((os.cpu_count() or 1) * busy / total, 2) if total else None}
    for name in targets:
        entry = {"root_pid": targets[name]}
        if name in pre:
            entry["rss_before_mb"] = round(pre[name]["rss_bytes"] / 2**20, 1)
        with sampler.lock:
            entry["rss_peak_mb"] = round(sampler.peak_rss[name] / 2**20, 1)
        if name in post:
            entry["rss_after_mb"] = round(post[name]["rss_bytes"] / 2**20, 1)
            entry["process_count"] = post[name]["pids"]
        if name in cpu0 and name in cpu1:
            cpu = cpu1[name]["cpu_s"] - cpu0[name]["cpu_s"]
            entry["cpu_s"] = round(cpu, 2)
            entry["cpu_pct_of_one_core"] = round(100 * cpu / window, 1)
            if st.life_ok:
                entry["cpu_ms_per_lifecycle"] = round(1000 * cpu / st.life_ok, 3)
        hwm = vm_hwm_bytes(targets[name])
        if hwm:
            entry["root_vmhwm_mb"] = round(hwm / 2**20, 1)
        result["processes"][name] = entry
    if result["system"]["cpu_busy_cores"] is not None:
        known = result["harness"]["cpu_s"] + sum(e.get("cpu_s", 0) for e in result["processes"].values())
        result["system"]["unattributed_cores"] = round(result["system"]["cpu_busy_cores"] - known / window, 2)
    return result


def print_report(res):
    c = res["config"]
    print(f"\n== {res['label'] or 'run'}: {c['base_url']} concurrency={c['concurrency']} "
          f"window={res['window_s']}s requireDetails={c['require_details']} phones={c['phones']}")
    print(f"lifecycles/s {res['lifecycles_per_s']}  requests/s {res['requests_per_s']}  "
          f"ok lifecycles {res['lifecycles_ok']}  failed {res['lifecycles_failed']}  "
          f"errors {res['error_count']}")
    print(f"{'route':30s} {'n':>7s} {'p50':>8s} {'p95':>8s} {'p99':>8s} {'max':>8s}  (ms)")
    for k, v in list(res["latency_ms"].items()) + [("lifecycle", res["lifecycle_latency_ms"])]:
        if v.get("n"):
            print(f"{k:30s} {v['n']:7d} {v['p50']:8.1f} {v['p95']:8.1f} {v['p99']:8.1f} {v['max']:8.1f}")
        else:
            print(f"{k:30s} {0:7d}")
    for name, e in res["processes"].items():
        print(f"{name}: " + ", ".join(f"{k}={v}" for k, v in e.items()))
    print(f"harness: cpu {res['harness']['cpu_s']}s ({res['harness']['cpu_pct_of_one_core']}% of one core); "
          f"whole machine busy {res['system']['cpu_busy_cores']} cores ({res['system']['cpu_busy_pct_of_all_cores']}%), "
          f"unattributed {res['system'].get('unattributed_cores')} cores")
    for s in res["error_samples"][:5]:
        print("  error:", s[:300])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--jwt", action="append", default=[])
    ap.add_argument("--jwt-file")
    ap.add_argument("--jwt-secret")
    ap.add_argument("--user-id", action="append", default=[])
    ap.add_argument("--platform", default="pipedrive")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--duration", type=float, default=25.0, help="measured window, seconds")
    ap.add_argument("--warmup", type=float, default=3.0, help="unmeasured lead-in, seconds")
    ap.add_argument("--grace", type=float, default=15.0, help="max wait for in-flight lifecycles after the window")
    ap.add_argument("--timeout", type=float, default=30.0, help="per-request timeout, seconds")
    ap.add_argument("--require-details", type=lambda s: s.lower() in ("1", "true", "yes"), default=True,
                    help="GET /callLog requireDetails (default true: exercises the CRM read)")
    ap.add_argument("--phones", default="unique",
                    help="'unique' (random E.164 per call: contact cache misses) or 'pool:N' (repeat callers)")
    ap.add_argument("--server-pid", default="auto", help="PID of the server (tree is summed); 'auto' = owner of the port; '' = none")
    ap.add_argument("--watch", action="append", default=[], help="NAME=PID: also report CPU/RSS of this process tree")
    ap.add_argument("--sample-interval", type=float, default=0.2)
    ap.add_argument("--alive-timeout", type=float, default=30.0)
    ap.add_argument("--error-backoff-ms", type=float, default=0.0)
    ap.add_argument("--no-preflight", action="store_true")
    ap.add_argument("--no-uvloop", action="store_true")
    ap.add_argument("--label", default="")
    ap.add_argument("--crm-stats-url", help="fake CRM /_stats URL, read at the window marks (appconnect addition)")
    ap.add_argument("--crm-ca", help="CA file for --crm-stats-url")
    ap.add_argument("--out", help="write the JSON result here")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    jwts = list(args.jwt)
    if args.jwt_file:
        with open(args.jwt_file) as f:
            jwts += [line.strip() for line in f if line.strip()]
    if args.jwt_secret:
        for uid in args.user_id or [f"12345-{args.platform}"]:
            jwts.append(make_jwt(args.jwt_secret, uid, args.platform))
    if not jwts:
        ap.error("need --jwt, --jwt-file or --jwt-secret")
    if uvloop and not args.no_uvloop:
        uvloop.install()
    res = asyncio.run(run(args, jwts))
    print_report(res)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(res, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
