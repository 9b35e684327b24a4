#!/usr/bin/env python3
"""A fault-injecting HTTP proxy for stance's tests. It forwards to an upstream (the moto emulator) and, per
request, injects what production AWS does to a scanner: throttling in each protocol's real error shape,
AccessDenied for chosen services, latency, 5xx errors, dropped connections and responses that never come.
It counts requests and the maximum number in flight.

    fault_proxy.py UPSTREAM [--throttle P] [--error-5xx P] [--drop P] [--latency-ms N] [--deny SERVICE]...
                            [--deny-action OPERATION]... [--hang SERVICE]... [--throttle-first SERVICE]... [--seed N]

P is a probability per request (seeded: a run is reproducible). The service of a request is its SigV4 scope
(iam, sts, lambda, apigateway); --deny-action matches the operation of query-protocol (`Action=`) and
JSON-protocol (`X-Amz-Target`) requests. Prints "READY http://127.0.0.1:PORT"; GET /_proxy/stats returns the counters
as JSON. Stops when its stdin closes.
"""

import argparse
import asyncio
import json
import random
import re
import sys
import threading
import uuid

SCOPE = re.compile(r"Credential=[^/]+/[^/]+/([^/]+)/([^/]+)/")


class Stats:
    def __init__(self) -> None:
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.forwarded = 0
        self.throttled = 0
        self.denied = 0
        self.errors_5xx = 0
        self.dropped = 0
        self.hung = 0
        self.by_service: dict[str, int] = {}
        # Throttling answers per protocol shape (query, rest-json, json, cbor): which shapes were exercised.
        self.throttled_by_protocol: dict[str, int] = {}
        # ... and per service (the SigV4 scope: CloudWatch alarms are `monitoring`).
        self.throttled_by_service: dict[str, int] = {}

    def as_json(self) -> bytes:
        return json.dumps(self.__dict__).encode()


CBOR_OPERATION = re.compile(r"^/service/[A-Za-z0-9_]+/operation/([A-Za-z0-9_]+)")


def protocol(service: str, headers: dict[str, str]) -> str:
    if headers.get("smithy-protocol") == "rpc-v2-cbor":
        return "cbor"  # Smithy RPC v2 CBOR (CloudWatch)
    if "x-amz-target" in headers:
        return "json"  # awsJson 1.0/1.1 (Secrets Manager, CloudTrail, KMS, Logs…)
    if service in ("iam", "sts", "sns"):
        return "query"  # form body, XML answers (SNS has no X-Amz-Target either)
    return "rest-json"  # Lambda, API Gateway


def error_response(kind: str, service: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """The error each protocol really sends for throttling, denial and a server failure."""
    request_id = str(uuid.uuid4())
    proto = protocol(service, headers)
    if proto == "query":
        if service == "sns":
            # SNS's own codes: `Throttled` with HTTP 429 (the SDK does not retry it on its own), AuthorizationError.
            status, code, message, fault = {
                "throttle": (429, "Throttled", "Rate exceeded", "Sender"),
                "deny": (403, "AuthorizationError", "User is not authorized to perform this SNS action", "Sender"),
                "5xx": (500, "InternalError", "Internal error", "Receiver"),
            }[kind]
        else:
            status, code, message, fault = {
                "throttle": (400, "Throttling", "Rate exceeded", "Sender"),
                "deny": (403, "AccessDenied", f"User is not authorized to perform this {service} action", "Sender"),
                "5xx": (500, "ServiceFailure", "Service failure", "Receiver"),
            }[kind]
        xmlns = {
            "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
            "sns": "http://sns.amazonaws.com/doc/2010-03-31/",
        }.get(service, "https://iam.amazonaws.com/doc/2010-05-08/")
        body = (
            f'<ErrorResponse xmlns="{xmlns}"><Error><Type>{fault}</Type><Code>{code}</Code>'
            f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        return status, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, body.encode()
    if proto == "cbor":
        import cbor2  # from mocks/requirements.txt, like moto

        # CloudWatch is query-compatible: its codes are the query protocol's, also sent in x-amzn-query-error.
        status, code, message, fault = {
            "throttle": (400, "Throttling", "Rate exceeded", "Sender"),
            "deny": (403, "AccessDenied", "User is not authorized to perform this action", "Sender"),
            "5xx": (500, "InternalServiceError", "Internal service error", "Receiver"),
        }[kind]
        body = cbor2.dumps({"__type": f"com.amazonaws.cloudwatch#{code}", "message": message})
        out_headers = {
            "Content-Type": "application/cbor",
            "smithy-protocol": "rpc-v2-cbor",
            "x-amzn-query-error": f"{code};{fault}",
            "x-amzn-RequestId": request_id,
        }
        return status, out_headers, body
    if proto == "json":
        status, code, message = {
            "throttle": (400, "ThrottlingException", "Rate exceeded"),
            "deny": (400, "AccessDeniedException", "User is not authorized to perform this action"),
            "5xx": (500, "InternalServiceError", "Internal service error"),
        }[kind]
        body = json.dumps({"__type": code, "message": message})
        return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": request_id}, body.encode()
    status, code, body = {
        "throttle": (429, "TooManyRequestsException", {"message": "Rate exceeded", "Reason": "CallerRateLimitExceeded", "Type": "User"}),
        "deny": (403, "AccessDeniedException", {"message": "User is not authorized to perform this action", "Type": "User"}),
        "5xx": (503, "ServiceException", {"message": "Service unavailable", "Type": "Service"}),
    }[kind]
    out_headers = {"Content-Type": "application/json", "x-amzn-ErrorType": f"{code}:", "x-amzn-RequestId": request_id}
    return status, out_headers, json.dumps(body).encode()


def operation(headers: dict[str, str], body: bytes, path: str = "") -> str | None:
    """The operation of a query-protocol (form body), JSON-protocol (X-Amz-Target) or CBOR (path) request."""
    cbor = CBOR_OPERATION.match(path)
    if cbor:
        return cbor.group(1)
    if "x-amz-target" in headers:
        return headers["x-amz-target"].rsplit(".", 1)[-1]
    match = re.search(rb"(?:^|&)Action=([A-Za-z0-9]+)", body)
    return match.group(1).decode() if match else None


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, dict[str, str], bytes] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return head, headers, body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, list[tuple[str, str]], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = []
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers.append((name.strip(), value.strip()))
    names = {n.lower(): v for n, v in headers}
    if names.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            body += await reader.readexactly(size)
            await reader.readexactly(2)
    elif "content-length" in names:
        body = await reader.readexactly(int(names["content-length"]))
    else:
        body = await reader.read()
    return status, headers, body


def encode_response(status: int, headers: list[tuple[str, str]], body: bytes) -> bytes:
    skip = {"content-length", "transfer-encoding", "connection", "keep-alive"}
    lines = [f"HTTP/1.1 {status} {'OK' if status < 400 else 'Error'}"]
    lines += [f"{name}: {value}" for name, value in headers if name.lower() not in skip]
    lines += [f"Content-Length: {len(body)}", "Connection: keep-alive"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Proxy:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.stats = Stats()
        self.random = random.Random(args.seed)
        self.throttle_first = set(args.throttle_first)
        host_port = args.upstream.split("://", 1)[-1].rstrip("/")
        self.upstream_host, port = host_port.rsplit(":", 1)
        self.upstream_port = int(port)

    async def forward(self, head: bytes, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        lines = head.decode("latin-1").split("\r\n")
        kept = [line for line in lines[1:] if line and not line.lower().startswith(("connection:", "keep-alive:"))]
        request = "\r\n".join([lines[0], *kept, "Connection: close"]) + "\r\n\r\n"
        reader, writer = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        try:
            writer.write(request.encode("latin-1") + body)
            await writer.drain()
            return await read_response(reader)
        finally:
            writer.close()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await read_request(reader)
                if request is None:
                    return
                head, headers, body = request
                if head.startswith(b"GET /_proxy/stats"):
                    writer.write(encode_response(200, [("Content-Type", "application/json")], self.stats.as_json()))
                    await writer.drain()
                    continue
                if not await self.one(writer, head, headers, body):
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def one(self, writer: asyncio.StreamWriter, head: bytes, headers: dict[str, str], body: bytes) -> bool:
        """Answers one request; False when the connection was dropped on purpose."""
        stats, args = self.stats, self.args
        match = SCOPE.search(headers.get("authorization", ""))
        service = match.group(2) if match else "unknown"
        stats.requests += 1
        stats.by_service[service] = stats.by_service.get(service, 0) + 1
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            if args.latency_ms:
                await asyncio.sleep(args.latency_ms / 1000)
            if service in args.hang:
                stats.hung += 1
                await asyncio.sleep(3600)
                return False
            draw = self.random.random()
            path = head.split(b" ", 2)[1].decode(errors="replace") if head.count(b" ") >= 2 else ""
            action = operation(headers, body, path)
            if service in args.deny or (action and action in args.deny_action):
                stats.denied += 1
                response = error_response("deny", service, headers)
            elif draw < args.drop:
                stats.dropped += 1
                return False
            elif draw < args.drop + args.throttle or service in self.throttle_first:
                self.throttle_first.discard(service)
                stats.throttled += 1
                shape = protocol(service, headers)
                stats.throttled_by_protocol[shape] = stats.throttled_by_protocol.get(shape, 0) + 1
                stats.throttled_by_service[service] = stats.throttled_by_service.get(service, 0) + 1
                response = error_response("throttle", service, headers)
            elif draw < args.drop + args.throttle + args.error_5xx:
                stats.errors_5xx += 1
                response = error_response("5xx", service, headers)
            else:
                stats.forwarded += 1
                status, upstream_headers, upstream_body = await self.forward(head, body)
                response = (status, dict(upstream_headers), upstream_body)
            status, response_headers, response_body = response
            writer.write(encode_response(status, list(response_headers.items()), response_body))
            await writer.drain()
            return True
        finally:
            stats.in_flight -= 1


async def serve(args: argparse.Namespace) -> None:
    proxy = Proxy(args)
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"READY http://127.0.0.1:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Serve until the parent closes our stdin.
    threading.Thread(target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(stop.set)), daemon=True).start()
    async with server:
        await stop.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("upstream")
    parser.add_argument("--throttle", type=float, default=0.0)
    parser.add_argument("--error-5xx", type=float, default=0.0)
    parser.add_argument("--drop", type=float, default=0.0)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--deny", action="append", default=[], metavar="SERVICE")
    parser.add_argument("--deny-action", action="append", default=[], metavar="OPERATION")
    parser.add_argument("--hang", action="append", default=[], metavar="SERVICE")
    parser.add_argument("--throttle-first", action="append", default=[], metavar="SERVICE",
                        help="throttle the first request of SERVICE, whatever the draw: a service with few requests is surely exercised")
    parser.add_argument("--seed", type=int, default=7)
    asyncio.run(serve(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
