#!/usr/bin/env python3
"""Fast fake Pipedrive API for load-testing App Connect servers on loopback.

Implements only what the call-log lifecycle needs:
  GET   /api/v2/persons/search?term=..&fields=phone
  GET   /api/v2/persons/{id}
  POST  /v1/persons                      (create contact)
  GET   /api/v2/deals?person_id=..
  GET   /v1/leads?person_id=..
  GET   /v1/activityTypes
  GET   /v1/users/me, /api/v1/users, /v1/users
  POST  /api/v2/activities
  GET   /api/v2/activities/{id}
  PATCH /api/v2/activities/{id}
  POST  /oauth/token                     (token refresh; returns a fresh fake token)
  GET   /_stats                          (request counters; not part of Pipedrive)

Serves HTTPS (self-signed cert, generated with `openssl` if not supplied) and,
optionally, plain HTTP on a second port. Binds to 127.0.0.1 only.

An optional fixed artificial latency (--latency-ms) is applied to every CRM
request to mimic a real remote CRM.

Usage:
  python3 fake_crm.py --https-port 8443 [--http-port 8080] [--latency-ms 50]
                      [--cert-dir DIR] [--matches 1] [--no-deals] [--no-leads]
The certificate to trust (e.g. NODE_EXTRA_CA_CERTS / SSL_CERT_FILE) is
DIR/cert.pem; its path is printed at startup.
"""
import argparse
import asyncio
import collections
import hashlib
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
import weakref

from aiohttp import web

RATE_HEADERS = {
    "x-ratelimit-limit": "80",
    "x-ratelimit-remaining": "79",
    "x-ratelimit-reset": "2",
}
JSON_CT = "application/json"

ACTIVITY_TYPES = [
    {"id": 1, "order_nr": 1, "name": "Call", "key_string": "call", "icon_key": "call",
     "active_flag": True, "color": None, "is_custom_flag": False,
     "add_time": "2020-01-01 00:00:00", "update_time": None},
    {"id": 2, "order_nr": 2, "name": "Meeting", "key_string": "meeting", "icon_key": "users",
     "active_flag": True, "color": None, "is_custom_flag": False,
     "add_time": "2020-01-01 00:00:00", "update_time": None},
    {"id": 3, "order_nr": 3, "name": "SMS", "key_string": "sms", "icon_key": "sms",
     "active_flag": True, "color": None, "is_custom_flag": True,
     "add_time": "2020-01-01 00:00:00", "update_time": None},
]


def ensure_cert(cert_dir):
    os.makedirs(cert_dir, exist_ok=True)
    cert = os.path.join(cert_dir, "cert.pem")
    key = os.path.join(cert_dir, "key.pem")
    if not (os.path.exists(cert) and os.path.exists(key)):
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
             "-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:api.pipedrive.com,DNS:oauth.pipedrive.com,DNS:*.pipedrive.com",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=digitalSignature,keyEncipherment,keyCertSign"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def person_id_for(term):
    # Stable positive id per search term.
    return int(hashlib.blake2b(term.encode(), digest_size=4).hexdigest(), 16) % 900_000_000 + 1000


class FakeCrm:
    def __init__(self, latency_ms, matches, deals, leads, max_activities):
        self.delay = latency_ms / 1000.0
        self.matches = matches
        self.with_deals = deals
        self.with_leads = leads
        self.max_activities = max_activities
        self.activities = collections.OrderedDict()
        self.next_activity_id = 1
        self.counts = collections.Counter()
        self.started = time.time()
        # appconnect addition: how many TCP (TLS) connections clients opened, for "no handshake in
        # steady state"; a transport object is one connection.
        self._transports = weakref.WeakSet()
        self.connections = 0

    @web.middleware
    async def count_connections(self, request, handler):
        transport = request.transport
        # The harness's own /_stats reads (one new connection at each window mark) are not clients'.
        if transport is not None and transport not in self._transports and request.path != "/_stats":
            self._transports.add(transport)
            self.connections += 1
        return await handler(request)

    def resp(self, obj, status=200):
        return web.Response(body=json.dumps(obj, separators=(",", ":")), status=status,
                            content_type=JSON_CT, headers=RATE_HEADERS)

    async def wait(self):
        if self.delay > 0:
            await asyncio.sleep(self.delay)

    def person(self, pid, phone=None):
        return {
            "id": pid, "name": f"Person {pid}", "owner_id": 1, "org_id": 77,
            "add_time": "2024-01-01T00:00:00Z", "update_time": "2024-06-01T00:00:00Z",
            "phones": [{"value": phone or "+16505550100", "primary": True, "label": "work"}],
            "emails": [], "visible_to": 3,
        }

    # --- persons ---
    async def persons_search(self, request):
        self.counts["persons_search"] += 1
        await self.wait()
        term = request.query.get("term", "")
        items = []
        for i in range(self.matches):
            pid = person_id_for(f"{term}#{i}")
            items.append({"result_score": 1.0, "item": {
                "id": pid, "type": "person", "name": f"Person {pid}",
                "phones": [term], "emails": [], "visible_to": 3,
                "owner": {"id": 1}, "organization": {"id": 77, "name": "Fake Org", "address": None},
                "custom_fields": [], "notes": [],
                "add_time": "2024-01-01T00:00:00Z", "update_time": "2024-06-01T00:00:00Z"}})
        return self.resp({"success": True, "data": {"items": items},
                          "additional_data": {"next_cursor": None}})

    async def person_get(self, request):
        self.counts["person_get"] += 1
        await self.wait()
        try:
            pid = int(request.match_info["pid"])
        except ValueError:
            return self.resp({"success": False, "error": "not found"}, 404)
        return self.resp({"success": True, "data": self.person(pid)})

    async def person_create(self, request):
        self.counts["person_create"] += 1
        body = await request.json()
        await self.wait()
        pid = person_id_for(json.dumps(body, sort_keys=True))
        phone = body.get("phone")
        if isinstance(phone, list) and phone:
            phone = phone[0].get("value") if isinstance(phone[0], dict) else phone[0]
        data = self.person(pid, phone)
        data["name"] = body.get("name", data["name"])
        return self.resp({"success": True, "data": data})

    # --- deals / leads ---
    async def deals(self, request):
        self.counts["deals"] += 1
        await self.wait()
        pid = request.query.get("person_id", "0")
        data = [{"id": int(pid) * 10 + 1 if pid.isdigit() else 1, "title": f"Deal for {pid}",
                 "status": "open"}] if self.with_deals else []
        return self.resp({"success": True, "data": data, "additional_data": {"next_cursor": None}})

    async def leads(self, request):
        self.counts["leads"] += 1
        await self.wait()
        pid = request.query.get("person_id", "0")
        data = [{"id": f"lead-{pid}", "title": f"Lead for {pid}"}] if self.with_leads else []
        return self.resp({"success": True, "data": data})

    # --- misc ---
    async def activity_types(self, request):
        self.counts["activity_types"] += 1
        await self.wait()
        return self.resp({"success": True, "data": ACTIVITY_TYPES})

    async def users_me(self, request):
        self.counts["users_me"] += 1
        await self.wait()
        return self.resp({"success": True, "data": {
            "id": 12345, "name": "Fake User", "email": "fake.user@example.invalid",
            "company_id": 1, "company_name": "Fake Co", "company_domain": "fake",
            "timezone_name": "UTC", "timezone_offset": "+00:00", "locale": "en_US"}})

    async def users_list(self, request):
        self.counts["users_list"] += 1
        await self.wait()
        return self.resp({"success": True, "data": [
            {"id": 12345, "name": "Fake User", "email": "fake.user@example.invalid", "active_flag": True}]})

    async def oauth_token(self, request):
        self.counts["oauth_token"] += 1
        await request.read()
        await self.wait()
        return self.resp({"access_token": f"fake-access-{time.time_ns()}", "token_type": "Bearer",
                          "expires_in": 3599, "refresh_token": f"fake-refresh-{time.time_ns()}",
                          "scope": "base", "api_domain": request.host})

    # --- activities ---
    def _activity_response(self, act):
        pid = None
        for p in act.get("participants") or []:
            if p.get("primary"):
                pid = p.get("person_id")
        related = {}
        if pid is not None:
            related = {"person": {str(pid): {"id": pid, "name": f"Person {pid}"}}}
        return {"success": True, "data": act, "related_objects": related}

    async def activity_create(self, request):
        self.counts["activity_create"] += 1
        body = await request.json()
        await self.wait()
        aid = self.next_activity_id
        self.next_activity_id += 1
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        act = dict(body)
        act.update({"id": aid, "add_time": now, "update_time": now, "is_deleted": False})
        act.setdefault("note", "")
        act.setdefault("deal_id", None)
        act.setdefault("lead_id", None)
        self.activities[aid] = act
        if len(self.activities) > self.max_activities:
            self.activities.popitem(last=False)
        return self.resp({"success": True, "data": act})

    def _get_act(self, request):
        try:
            return self.activities.get(int(request.match_info["aid"]))
        except ValueError:
            return None

    async def activity_get(self, request):
        self.counts["activity_get"] += 1
        await self.wait()
        act = self._get_act(request)
        if act is None:
            return self.resp({"success": False, "error": "Activity not found"}, 404)
        return self.resp(self._activity_response(act))

    async def activity_patch(self, request):
        self.counts["activity_patch"] += 1
        body = await request.json()
        await self.wait()
        act = self._get_act(request)
        if act is None:
            return self.resp({"success": False, "error": "Activity not found"}, 404)
        act.update(body)
        act["update_time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return self.resp({"success": True, "data": act})

    async def stats(self, request):
        return self.resp({"counts": dict(self.counts), "total": sum(self.counts.values()),
                          "connections": self.connections,
                          "activities_stored": len(self.activities),
                          "uptime_s": round(time.time() - self.started, 1)})

    async def fallback(self, request):
        self.counts["unhandled"] += 1
        return self.resp({"success": False, "error": f"fake_crm: unhandled {request.method} {request.path}"}, 404)

    def app(self):
        app = web.Application(client_max_size=50 * 1024 * 1024, middlewares=[self.count_connections])
        r = app.router
        r.add_get("/api/v2/persons/search", self.persons_search)
        r.add_get("/v1/persons/search", self.persons_search)
        r.add_get("/api/v2/persons/{pid}", self.person_get)
        r.add_get("/v1/persons/{pid}", self.person_get)
        r.add_post("/v1/persons", self.person_create)
        r.add_post("/api/v2/persons", self.person_create)
        r.add_get("/api/v2/deals", self.deals)
        r.add_get("/v1/leads", self.leads)
        r.add_get("/v1/activityTypes", self.activity_types)
        r.add_get("/v1/users/me", self.users_me)
        r.add_get("/api/v1/users", self.users_list)
        r.add_get("/v1/users", self.users_list)
        r.add_post("/oauth/token", self.oauth_token)
        r.add_post("/api/v2/activities", self.activity_create)
        r.add_get("/api/v2/activities/{aid}", self.activity_get)
        r.add_patch("/api/v2/activities/{aid}", self.activity_patch)
        r.add_get("/_stats", self.stats)
        r.add_route("*", "/{tail:.*}", self.fallback)
        return app


async def main_async(args):
    crm = FakeCrm(args.latency_ms, args.matches, not args.no_deals, not args.no_leads, args.max_activities)
    runner = web.AppRunner(crm.app(), access_log=None, handle_signals=True)
    await runner.setup()
    sites = []
    if args.https_port:
        cert_dir = args.cert_dir or os.path.join(tempfile.gettempdir(), "fake_crm_cert")
        cert, key = ensure_cert(cert_dir)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert, key)
        sites.append(web.TCPSite(runner, "127.0.0.1", args.https_port, ssl_context=ctx, backlog=2048))
        print(f"fake_crm: https://127.0.0.1:{args.https_port} cert={cert}", flush=True)
    if args.http_port:
        sites.append(web.TCPSite(runner, "127.0.0.1", args.http_port, backlog=2048))
        print(f"fake_crm: http://127.0.0.1:{args.http_port}", flush=True)
    for s in sites:
        await s.start()
    print(f"fake_crm: latency={args.latency_ms}ms matches={args.matches} pid={os.getpid()} ready", flush=True)
    await asyncio.Event().wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--https-port", type=int, default=8443)
    ap.add_argument("--http-port", type=int, default=0, help="also serve plain HTTP on this port (0 = off)")
    ap.add_argument("--latency-ms", type=float, default=0.0, help="fixed artificial latency per CRM request")
    ap.add_argument("--cert-dir", default=None, help="where cert.pem/key.pem live or are generated")
    ap.add_argument("--matches", type=int, default=1, help="persons returned per phone search")
    ap.add_argument("--no-deals", action="store_true")
    ap.add_argument("--no-leads", action="store_true")
    ap.add_argument("--max-activities", type=int, default=500_000, help="in-memory activity cap (FIFO)")
    args = ap.parse_args()
    if not args.https_port and not args.http_port:
        sys.exit("need --https-port and/or --http-port")
    try:
        asyncio.run(main_async(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
