#!/usr/bin/env python3
"""The stance demo account: a moto server seeded with a realistic serverless estate.

    python mocks/demo_account.py serve [--port 0] [--account demo|large] [--latency-ms N] [--deny SERVICE]...

Runs moto in-process (so resources can be created under a frozen clock and come back from the API with
realistic ages), seeds it, prints one line `READY http://HOST:PORT` on stdout and serves until stdin closes
or the process is terminated.

A small WSGI layer in front of moto simulates what a local emulator lacks:
  --latency-ms N     every request waits N ms (real AWS is not local)
  --deny SERVICE     every request signed for SERVICE (the SigV4 credential scope: iam, lambda, apigateway,
                     sts, ...) is answered with that protocol's AccessDenied error
  --disable-region R every request signed for region R is refused as AWS refuses calls to a region the
                     account has not enabled (InvalidClientTokenId / UnrecognizedClientException)
and counts requests: GET /_stance/stats answers {"requests": N, "max_in_flight": M, "by_operation": {...}}.
It also speaks the Smithy RPC v2 CBOR protocol that the Rust SDK uses for CloudWatch, which moto answers only in
JSON: the layer decodes the CBOR request, asks moto in JSON and encodes the answer (errors included) in CBOR.

Accounts:
  demo   several teams' functions, roles and APIs in us-east-1 and eu-west-1, users with keys of different
         ages, a mix of sound and risky configuration: every finding category and its look-alikes,
         as listed in mocks/demo-expected.json
  large  the scan benchmark: 500 functions, 800 roles, 100 REST APIs (plus the demo account)
  org    the demo organization (mocks/demo_org.py): a management account and three members in two OUs
  org-bench N  (with --org-accounts N) an organization of N member accounts, each a small estate, for the
         organization benchmark

  --deny-assume ACCOUNT  sts:AssumeRole into any role of ACCOUNT is refused with AccessDenied, as AWS refuses a
                         role whose trust does not admit the caller (moto does not evaluate trust policies)
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import re
import sys
import threading
import time
import zipfile

os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from freezegun import freeze_time  # noqa: E402
from moto.server import DomainDispatcherApplication, create_backend_app  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402
import logging  # noqa: E402

logging.getLogger("werkzeug").setLevel(logging.WARNING)

ACCOUNT = "123456789012"
REGIONS = ("us-east-1", "eu-west-1")
# Resources that need an age are created under a clock frozen this many days before "now".
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)

# Secret values planted in the demo account. Tests grep every file stance writes for them: they must
# never appear in clear.
PLANTED_SECRETS = {
    "DB_PASSWORD": "hunter2-Pr0d-Passw0rd!",
    "STRIPE_SECRET_KEY": "sk_live_51HdemoNotARealKey0000000000",
    "SLACK_TOKEN": "xoxb-000000000000-demo-token-not-real",
    # Values stored in Secrets Manager and Parameter Store: stance reads their metadata, never them.
    "ORDERS_DB_SECRET": "orders-db-V4lue-Never-Read-0001",
    "STRIPE_VAULTED": "sk_live_51HvaultedDemoKey111111111",
    "SLACK_WEBHOOK_SECRET": "https://hooks.slack.example/T000/B000/vaulted-demo",
    "FTP_PASSWORD": "ftp-Legacy-Pa55-Never-Read",
    "PARTNER_TOKEN": "partner-token-Never-Read-2222",
    "ORG_CONFIG": "org-config-Never-Read-3333",
    "EU_DB_SECRET": "eu-db-V4lue-Never-Read-4444",
    "SSM_DB_PASSWORD": "ssm-Plaintext-Pa55w0rd-5555",
    "SSM_STRIPE_KEY": "ssm-Secure-Stripe-Key-6666",
    "SSM_EU_TOKEN": "ssm-eu-api-token-7777",
}

# Smithy RPC v2 CBOR requests: POST /service/TARGET_PREFIX/operation/OPERATION.
CBOR_OPERATION = re.compile(r"^/service/([A-Za-z0-9_]+)/operation/([A-Za-z0-9_]+)$")
# The services that SDKs reach in CBOR and moto in JSON, by target prefix: their botocore names.
CBOR_SERVICES = {"GraniteServiceVersion20100801": "cloudwatch"}
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
QUERY_PROTOCOL_SERVICES = {"iam", "sts", "sns"}


def days_ago(days: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


class EmulatorLayer:
    """WSGI middleware in front of moto: latency, denied services, request counting."""

    def __init__(self, app, latency_ms: int, denied: set[str], disabled_regions: set[str] | None = None):
        self.app = app
        self.denied_assume: set[str] = set()
        self.latency = latency_ms / 1000.0
        self.denied = denied
        self.disabled_regions = disabled_regions or set()
        self.lock = threading.Lock()
        self.moto_lock = threading.Lock()
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.by_operation: dict[str, int] = {}

    def stats(self) -> dict:
        with self.lock:
            return {
                # CPU seconds this emulator process has used: tells whether it, not the scanner, set the pace.
                "cpu_s": round(time.process_time(), 3),
                "requests": self.requests,
                "max_in_flight": self.max_in_flight,
                "by_operation": dict(sorted(self.by_operation.items())),
            }

    def reset(self) -> None:
        with self.lock:
            self.requests = 0
            self.max_in_flight = 0
            self.by_operation = {}

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_stance/"):
            if path == "/_stance/reset-stats":
                self.reset()
            body = json.dumps(self.stats()).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]

        match = CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        region = match.group(1) if match else ""
        service = match.group(2) if match else "unsigned"
        operation = environ.get("HTTP_X_AMZ_TARGET") or f"{environ.get('REQUEST_METHOD')} {path}"
        if service in QUERY_PROTOCOL_SERVICES:
            operation = self._query_action(environ) or operation
        cbor = CBOR_OPERATION.match(path)
        if cbor:  # counted like X-Amz-Target: `GraniteServiceVersion20100801.DescribeAlarms`
            operation = f"{cbor.group(1)}.{cbor.group(2)}"
        with self.lock:
            self.requests += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            key = f"{service} {operation}"
            self.by_operation[key] = self.by_operation.get(key, 0) + 1
        if cbor:
            environ["stance.cbor"] = True
        try:
            if self.latency:
                time.sleep(self.latency)
            if region in self.disabled_regions:
                return self._region_disabled(service, start_response, environ)
            if service in self.denied:
                return self._access_denied(service, start_response, environ)
            if service == "sts" and operation == "AssumeRole" and self._assumes_into(environ) in self.denied_assume:
                message = "User is not authorized to perform: sts:AssumeRole (simulated: the role's trust does not admit the caller)"
                return self._error(service, start_response, "AccessDenied", "AccessDenied", message, environ)
            # moto's backends are not thread-safe (CloudTrail's DescribeTrails iterates every region's backend
            # while another request creates one: "dictionary changed size during iteration"): one request at a
            # time inside moto. The latency above is outside, so requests still overlap on the wire.
            with self.moto_lock:
                if cbor and cbor.group(1) in CBOR_SERVICES:
                    return self._cbor_via_json(environ, start_response, cbor.group(1), cbor.group(2))
                return self.app(environ, start_response)
        finally:
            with self.lock:
                self.in_flight -= 1

    @staticmethod
    def _query_action(environ) -> str | None:
        """Peek at the Action of a query-protocol request without consuming the body moto needs."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if not length:
            return None
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        found = re.search(rb"Action=([A-Za-z]+)", body)
        return found.group(1).decode() if found else None

    @staticmethod
    def _assumes_into(environ) -> str | None:
        """The account of the role an AssumeRole request asks for (the body was already buffered)."""
        body = environ["wsgi.input"].getvalue() if isinstance(environ["wsgi.input"], io.BytesIO) else b""
        found = re.search(rb"RoleArn=arn%3Aaws%3Aiam%3A%3A(\d{12})%3A", body)
        return found.group(1).decode() if found else None

    def _cbor_via_json(self, environ, start_response, target: str, operation: str):
        """Answers a Smithy RPC v2 CBOR request through moto's JSON protocol handler."""
        import cbor2

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        params = cbor2.loads(body) if body else {}
        payload = json.dumps(params, default=_json_default).encode()
        environ = dict(environ)
        environ.update({
            "PATH_INFO": "/",
            "CONTENT_TYPE": "application/x-amz-json-1.0",
            "HTTP_CONTENT_TYPE": "application/x-amz-json-1.0",
            "HTTP_X_AMZ_TARGET": f"{target}.{operation}",
            "CONTENT_LENGTH": str(len(payload)),
            "wsgi.input": io.BytesIO(payload),
        })
        answer: dict = {}

        def capture(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, headers

        reply = b"".join(self.app(environ, capture))
        code = int(answer["status"].split()[0])
        document = json.loads(reply) if reply.strip() else {}
        if code >= 400:
            headers = dict(answer["headers"])
            error_type = document.get("__type") or headers.get("x-amzn-ErrorType", "InternalFailure")
            error_type = error_type.split(":")[0].split("#")[-1]
            message = document.get("message") or document.get("Message") or ""
            out = cbor2.dumps({"__type": error_type, "message": message})
        else:
            output_shape = _service_model(CBOR_SERVICES[target]).operation_model(operation).output_shape
            out = cbor2.dumps(_cbor_typed(document, output_shape))
        start_response(answer["status"], _cbor_headers(out))
        return [out]

    @staticmethod
    def _error(service: str, start_response, query_code: str, json_code: str, message: str, environ=None):
        """An error in the protocol's own shape: query XML for IAM/STS, CBOR for RPC v2 CBOR requests,
        REST-JSON for the others."""
        if environ is not None and environ.get("stance.cbor"):
            import cbor2

            body = cbor2.dumps({"__type": query_code, "message": message})
            start_response("403 Forbidden", _cbor_headers(body))
            return [body]
        if service in QUERY_PROTOCOL_SERVICES:
            body = (
                f"<ErrorResponse><Error><Type>Sender</Type><Code>{query_code}</Code>"
                f"<Message>{message}</Message></Error><RequestId>stance-0001</RequestId></ErrorResponse>"
            ).encode()
            headers = [("Content-Type", "text/xml")]
        else:
            body = json.dumps({"Message": message, "message": message}).encode()
            headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", json_code)]
        headers.append(("Content-Length", str(len(body))))
        start_response("403 Forbidden", headers)
        return [body]

    def _access_denied(self, service: str, start_response, environ):
        message = f"User: arn:aws:sts::{ACCOUNT}:assumed-role/auditor/stance is not authorized (simulated deny of {service})"
        return self._error(service, start_response, "AccessDenied", "AccessDeniedException", message, environ)

    def _region_disabled(self, service: str, start_response, environ):
        message = "The security token included in the request is invalid."
        return self._error(service, start_response, "InvalidClientTokenId", "UnrecognizedClientException", message, environ)


def _cbor_headers(body: bytes) -> list[tuple[str, str]]:
    return [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor"), ("Content-Length", str(len(body)))]


_SERVICE_MODELS: dict = {}


def _service_model(name: str):
    if name not in _SERVICE_MODELS:
        import botocore.session

        _SERVICE_MODELS[name] = botocore.session.get_session().get_service_model(name)
    return _SERVICE_MODELS[name]


def _json_default(value):
    """CBOR request values that JSON lacks: timestamps (tag 1, decoded as datetimes) and blobs."""
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def _cbor_typed(value, shape):
    """A JSON reply's value in the CBOR types its shape asks for: timestamps as tag 1 epoch seconds, doubles as
    floats, blobs as bytes."""
    import base64

    import cbor2

    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        return {k: _cbor_typed(v, shape.members.get(k)) for k, v in value.items()}
    if kind == "list":
        return [_cbor_typed(v, shape.member) for v in value]
    if kind == "map":
        return {k: _cbor_typed(v, shape.value) for k, v in value.items()}
    if kind == "timestamp":
        seconds = value if isinstance(value, (int, float)) else dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
        return cbor2.CBORTag(1, float(seconds))
    if kind in ("double", "float"):
        return float(value)
    if kind in ("integer", "long", "short", "byte"):
        return int(value)
    if kind == "blob":
        return base64.b64decode(value)
    return value


def lambda_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return {'statusCode': 200}\n")
    return buf.getvalue()


class Seeder:
    def __init__(self, endpoint: str, credentials: dict | None = None):
        self.endpoint = endpoint
        self.config = Config(retries={"max_attempts": 1})
        self.zip = lambda_zip()
        # Another account's: the keys of a role assumed in it.
        self.credentials = credentials or {}

    def client(self, service: str, region: str = "us-east-1", **kwargs):
        return boto3.client(
            service, region_name=region, endpoint_url=self.endpoint, config=self.config, **self.credentials, **kwargs
        )

    def in_account(self, account: str) -> "Seeder":
        """A seeder acting in `account` through its organization member role (this one, for our own)."""
        if account == ACCOUNT:
            return self
        role = f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
        keys = self.client("sts").assume_role(RoleArn=role, RoleSessionName="seed")["Credentials"]
        return Seeder(self.endpoint, {
            "aws_access_key_id": keys["AccessKeyId"],
            "aws_secret_access_key": keys["SecretAccessKey"],
            "aws_session_token": keys["SessionToken"],
        })

    # ---- IAM -------------------------------------------------------------------------------------------------
    def role(self, name: str, trust: dict, *, managed=(), inline: dict | None = None, path="/") -> str:
        iam = self.client("iam")
        arn = iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        for policy_arn in managed:
            iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        for policy_name, document in (inline or {}).items():
            iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document))
        return arn

    @staticmethod
    def lambda_trust() -> dict:
        return {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
        }

    def seed_iam(self, keys: dict[str, str]) -> dict[str, str]:
        iam = self.client("iam")
        roles: dict[str, str] = {}

        deploy_policy = iam.create_policy(
            PolicyName="team-deploy",
            Path="/teams/",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:*", "Resource": "*"}]}
            ),
        )["Policy"]["Arn"]
        # A second version becomes the default: the collector must read the default version's document.
        iam.create_policy_version(
            PolicyArn=deploy_policy,
            SetAsDefault=True,
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Sid": "DeployFunctions", "Effect": "Allow", "Action": ["lambda:UpdateFunctionCode", "lambda:GetFunction"], "Resource": f"arn:aws:lambda:*:{ACCOUNT}:function:orders-*"},
                        {"Sid": "PassOrdersRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/orders-api-role"},
                    ],
                }
            ),
        )

        # Execution roles of the teams' functions.
        roles["orders"] = self.role(
            "orders-api-role",
            self.lambda_trust(),
            managed=["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
            inline={
                "orders-table": {
                    "Version": "2012-10-17",
                    "Statement": [{"Sid": "OrdersTable", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"], "Resource": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders"}],
                },
                # Scoped to its own secret and key (a look-alike of iam-secret-read-all), yet the open
                # GET /orders route reaches it: an attack path whose prize is that secret.
                "orders-db-secret": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Sid": "ReadOrdersDb", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:orders-db-*"},
                        {"Sid": "DecryptOrdersData", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": keys["orders"]},
                    ],
                },
            },
        )
        roles["payments"] = self.role(
            "payments-processor-role", self.lambda_trust(), managed=["arn:aws:iam::aws:policy/AdministratorAccess"]
        )
        roles["reports"] = self.role(
            "reports-generator-role",
            self.lambda_trust(),
            inline={
                "reports": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"},
                        {"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::acme-reports", "arn:aws:s3:::acme-reports/*"]},
                    ],
                }
            },
        )
        roles["webhook"] = self.role(
            "webhook-handler-role",
            self.lambda_trust(),
            inline={
                "notaction": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Sid": "EverythingButIam", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
                        {"Sid": "NoKms", "Effect": "Deny", "NotAction": "kms:Decrypt", "Resource": f"arn:aws:kms:*:{ACCOUNT}:key/*"},
                    ],
                }
            },
        )
        roles["eu"] = self.role(
            "eu-orders-role", self.lambda_trust(), managed=["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
        )
        roles["thumbnailer"] = self.role(
            "thumbnailer-role",
            self.lambda_trust(),
            inline={"s3": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}},
        )

        # Reads every secret of the account (a rotation helper nobody scoped).
        self.role(
            "secrets-rotation-role",
            self.lambda_trust(),
            inline={"rotate": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"], "Resource": "*"}]}},
        )

        # Trust policies, risky and their look-alikes.
        self.role(
            "legacy-break-glass",
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]},
            managed=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        )
        self.role(
            "org-shared-reader",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}
                ],
            },
            managed=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        )
        self.role(
            "vendor-audit",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "acme-7f3a"}}}
                ],
            },
            managed=["arn:aws:iam::aws:policy/SecurityAudit"],
        )
        self.role(
            "partner-integration",
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::444455556666:root"]}, "Action": "sts:AssumeRole"}]},
            inline={"deploy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"], "Resource": "*"}]}},
        )
        self.role(
            "github-actions-deploy",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/orders:*"}},
                    }
                ],
            },
            managed=[deploy_policy],
        )

        # Groups.
        iam.create_group(GroupName="admins")
        iam.attach_group_policy(GroupName="admins", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        iam.create_group(GroupName="developers")
        iam.put_group_policy(
            GroupName="developers",
            PolicyName="dev-access",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["lambda:Get*", "lambda:List*", "logs:*"], "Resource": "*"}]}),
        )

        # Users and their credentials.
        iam.create_user(UserName="alice")
        iam.add_user_to_group(UserName="alice", GroupName="admins")
        iam.create_login_profile(UserName="alice", Password="Alice-Console-Pw-1!")
        mfa = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-mfa")["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(UserName="alice", SerialNumber=mfa, AuthenticationCode1="123456", AuthenticationCode2="654321")
        iam.create_access_key(UserName="alice")
        # A key just retired during a rotation: inactive, but recent.
        retired = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
        iam.update_access_key(UserName="alice", AccessKeyId=retired, Status="Inactive")

        iam.add_user_to_group(UserName="bob", GroupName="developers")
        iam.create_login_profile(UserName="bob", Password="Bob-Console-Pw-1!")

        iam.put_user_policy(
            UserName="svc-reporting",
            PolicyName="read-reports",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-reports/*"}]}),
        )

        iam.update_account_password_policy(MinimumPasswordLength=14, RequireSymbols=True, RequireNumbers=True, MaxPasswordAge=90)
        return roles

    def seed_aged_iam(self) -> None:
        """Keys and roles with realistic ages: created under a frozen clock."""
        with freeze_time(days_ago(400)):
            iam = self.client("iam")
            iam.create_user(UserName="ci-deployer", Path="/service/")
            iam.attach_user_policy(UserName="ci-deployer", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
            iam.create_access_key(UserName="ci-deployer")
            self.role("legacy-etl-role", self.lambda_trust(), managed=["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"])
        with freeze_time(days_ago(200)):
            iam = self.client("iam")
            iam.create_user(UserName="bob")
            iam.create_access_key(UserName="bob")
        with freeze_time(days_ago(150)):
            iam = self.client("iam")
            iam.create_user(UserName="old-contractor")
            stale = iam.create_access_key(UserName="old-contractor")["AccessKey"]["AccessKeyId"]
            iam.update_access_key(UserName="old-contractor", AccessKeyId=stale, Status="Inactive")
        with freeze_time(days_ago(130)):
            self.client("iam").create_user(UserName="svc-reporting", Path="/service/")
        # svc-reporting has two active keys, both old: a rotation that was never finished.
        with freeze_time(days_ago(120)):
            self.client("iam").create_access_key(UserName="svc-reporting")
        with freeze_time(days_ago(100)):
            self.client("iam").create_access_key(UserName="svc-reporting")
        with freeze_time(days_ago(5)):
            iam = self.client("iam")
            # bob is mid-rotation: a new key next to the old one.
            iam.create_access_key(UserName="bob")

    # ---- Lambda ----------------------------------------------------------------------------------------------
    def function(self, region: str, name: str, role: str, runtime: str, *, env=None, tracing="PassThrough", **extra) -> str:
        lam = self.client("lambda", region)
        kwargs = dict(
            FunctionName=name,
            Runtime=runtime,
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": self.zip},
            TracingConfig={"Mode": tracing},
            Architectures=extra.pop("architectures", ["x86_64"]),
        )
        if env:
            kwargs["Environment"] = {"Variables": env}
        kwargs.update(extra)
        return lam.create_function(**kwargs)["FunctionArn"]

    def seed_lambda(self, roles: dict[str, str], keys: dict[str, str]) -> dict[str, str]:
        fns: dict[str, str] = {}
        us = "us-east-1"
        # Tags: orders-api holds personal data outside the EU (the demo policy allows only EU regions for it);
        # eu-orders-api holds the same data in eu-west-1 (the look-alike). public-webhook names no owner.
        fns["orders"] = self.function(
            us, "orders-api", roles["orders"], "python3.12", tracing="Active",
            Tags={"data-classification": "personal", "owner": "orders-team"},
            env={"TABLE_NAME": "orders", "DB_SECRET_ARN": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:orders-db-AbCdEf", "PASSWORD_MIN_LENGTH": "12"},
        )
        fns["payments"] = self.function(
            us, "payments-processor", roles["payments"], "nodejs16.x",
            Tags={"data-classification": "restricted", "owner": "payments-team"},
            env={"DB_PASSWORD": PLANTED_SECRETS["DB_PASSWORD"], "STRIPE_SECRET_KEY": PLANTED_SECRETS["STRIPE_SECRET_KEY"], "STAGE": "prod"},
            DeadLetterConfig={"TargetArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:payments-dlq"},
        )
        layer = self.client("lambda", us).publish_layer_version(
            LayerName="pandas", Content={"ZipFile": self.zip}, CompatibleRuntimes=["python3.8"]
        )["LayerVersionArn"]
        fns["reports"] = self.function(
            us, "reports-generator", roles["reports"], "python3.8",
            env={"SLACK_TOKEN": PLANTED_SECRETS["SLACK_TOKEN"], "REPORT_BUCKET": "acme-reports"},
            Layers=[layer],
            # Its environment is encrypted with a key that is scheduled for deletion.
            KMSKeyArn=keys["reports"],
        )
        fns["webhook"] = self.function(us, "public-webhook", roles["webhook"], "python3.11", architectures=["arm64"])
        fns["internal"] = self.function(
            us, "internal-worker", roles["orders"], "python3.12", tracing="Active",
            VpcConfig={"SubnetIds": ["subnet-0a1b2c3d"], "SecurityGroupIds": ["sg-0a1b2c3d"]},
        )
        fns["eu-orders"] = self.function(
            "eu-west-1", "eu-orders-api", roles["eu"], "python3.12", tracing="Active",
            Tags={"data-classification": "personal", "owner": "orders-team"},
        )
        fns["thumbnailer"] = self.function("eu-west-1", "thumbnailer", roles["thumbnailer"], "nodejs20.x", Tags={"owner": "media-team"})

        lam = self.client("lambda", us)
        # Anyone may invoke the webhook, through its unauthenticated function URL.
        lam.create_function_url_config(FunctionName="public-webhook", AuthType="NONE", Cors={"AllowOrigins": ["*"], "AllowMethods": ["POST"]})
        lam.add_permission(FunctionName="public-webhook", StatementId="FunctionURLAllowPublicAccess", Action="lambda:InvokeFunctionUrl", Principal="*", FunctionUrlAuthType="NONE")
        # Look-alike: Principal * restricted to one account's S3 bucket notifications.
        lam.add_permission(FunctionName="internal-worker", StatementId="s3-invoke", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com", SourceArn="arn:aws:s3:::acme-uploads", SourceAccount=ACCOUNT)
        # A foreign account may invoke reports-generator without any condition.
        lam.add_permission(FunctionName="reports-generator", StatementId="partner-invoke", Action="lambda:InvokeFunction", Principal="444455556666")
        # Payments may be invoked by anyone: a public resource policy without a condition.
        lam.add_permission(FunctionName="payments-processor", StatementId="public-invoke", Action="lambda:InvokeFunction", Principal="*")
        # Look-alikes: Principal * restricted to one API's routes, and to the organization.
        lam.add_permission(
            FunctionName="internal-worker", StatementId="apigw-invoke", Action="lambda:InvokeFunction", Principal="*",
            SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:abc123/*/GET/internal",
        )
        lam.add_permission(FunctionName="orders-api", StatementId="org-invoke", Action="lambda:InvokeFunction", Principal="*", PrincipalOrgID="o-a1b2c3d4e5")

        eu = self.client("lambda", "eu-west-1")
        eu.create_function_url_config(FunctionName="thumbnailer", AuthType="AWS_IAM")
        # Look-alike: another account's EventBridge rule may invoke it, and only that rule.
        eu.add_permission(
            FunctionName="eu-orders-api", StatementId="partner-events", Action="lambda:InvokeFunction", Principal="444455556666",
            SourceArn="arn:aws:events:eu-west-1:444455556666:rule/orders-sync",
        )
        return fns

    # ---- API Gateway REST ------------------------------------------------------------------------------------
    @staticmethod
    def lambda_uri(region: str, function_arn: str) -> str:
        return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"

    def rest_method(self, api, region, api_id, resource_id, verb, *, auth="NONE", authorizer=None, api_key=False, function_arn=None):
        kwargs = dict(restApiId=api_id, resourceId=resource_id, httpMethod=verb, authorizationType=auth, apiKeyRequired=api_key)
        if authorizer:
            kwargs["authorizerId"] = authorizer
        api.put_method(**kwargs)
        if function_arn:
            api.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=verb, type="AWS_PROXY", integrationHttpMethod="POST", uri=self.lambda_uri(region, function_arn))
        else:
            api.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=verb, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})

    @staticmethod
    def cache_patches(*, encrypted: bool) -> list[dict]:
        """A stage's cache cluster on, caching every method, its data encrypted or not."""
        return [
            {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
            {"op": "replace", "path": "/cacheClusterSize", "value": "0.5"},
            {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"},
            {"op": "replace", "path": "/*/*/caching/dataEncrypted", "value": str(encrypted).lower()},
        ]

    def seed_rest(self, fns: dict[str, str]) -> None:
        region = "us-east-1"
        api = self.client("apigateway", region)
        orders = api.create_rest_api(name="orders-api", description="Orders service", endpointConfiguration={"types": ["REGIONAL"]})["id"]
        root = api.get_resources(restApiId=orders)["items"][0]["id"]
        orders_res = api.create_resource(restApiId=orders, parentId=root, pathPart="orders")["id"]
        health = api.create_resource(restApiId=orders, parentId=root, pathPart="health")["id"]
        admin = api.create_resource(restApiId=orders, parentId=root, pathPart="admin")["id"]
        authorizer = api.create_authorizer(
            restApiId=orders, name="orders-token", type="TOKEN", identitySource="method.request.header.Authorization",
            authorizerUri=self.lambda_uri(region, fns["internal"]),
        )["id"]
        self.rest_method(api, region, orders, orders_res, "GET", function_arn=fns["orders"])
        self.rest_method(api, region, orders, orders_res, "POST", auth="CUSTOM", authorizer=authorizer, function_arn=fns["orders"])
        self.rest_method(api, region, orders, orders_res, "OPTIONS")
        self.rest_method(api, region, orders, health, "GET")
        self.rest_method(api, region, orders, admin, "POST", auth="AWS_IAM", function_arn=fns["payments"])
        self.rest_method(api, region, orders, admin, "GET", api_key=True, function_arn=fns["reports"])
        api.create_deployment(restApiId=orders, stageName="prod")
        api.update_stage(
            restApiId=orders, stageName="prod",
            patchOperations=[
                {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:orders-api-access"},
                {"op": "replace", "path": "/accessLogSettings/format", "value": "$context.requestId"},
                {"op": "replace", "path": "/tracingEnabled", "value": "true"},
                {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"},
            ],
        )
        api.create_deployment(restApiId=orders, stageName="dev")

        partner = api.create_rest_api(
            name="partner-api",
            endpointConfiguration={"types": ["EDGE"]},
            policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]}),
        )["id"]
        proot = api.get_resources(restApiId=partner)["items"][0]["id"]
        ship = api.create_resource(restApiId=partner, parentId=proot, pathPart="shipments")["id"]
        self.rest_method(api, region, partner, ship, "GET", function_arn=fns["reports"])
        api.create_deployment(restApiId=partner, stageName="v1")

        private = api.create_rest_api(
            name="internal-admin-api",
            endpointConfiguration={"types": ["PRIVATE"]},
            policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*", "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d"}}}]}),
        )["id"]
        iroot = api.get_resources(restApiId=private)["items"][0]["id"]
        self.rest_method(api, region, private, iroot, "GET", function_arn=fns["internal"])

        with freeze_time(days_ago(180)):
            old_key = self.client("apigateway", region).create_api_key(name="partner-acme", enabled=True)["id"]
            # Old, but disabled: not a rotation problem.
            self.client("apigateway", region).create_api_key(name="retired-integration", enabled=False)
        new_key = api.create_api_key(name="mobile-app", enabled=True)["id"]
        plan = api.create_usage_plan(
            name="partners", apiStages=[{"apiId": orders, "stage": "prod"}], throttle={"rateLimit": 10.0, "burstLimit": 20}
        )["id"]
        api.create_usage_plan_key(usagePlanId=plan, keyId=old_key, keyType="API_KEY")
        api.create_usage_plan_key(usagePlanId=plan, keyId=new_key, keyType="API_KEY")
        api.create_domain_name(domainName="api.acme.example", regionalCertificateArn=f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/abc", endpointConfiguration={"types": ["REGIONAL"]}, securityPolicy="TLS_1_0")
        # Look-alike: TLS 1.2.
        api.create_domain_name(domainName="partners.acme.example", regionalCertificateArn=f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/def", endpointConfiguration={"types": ["REGIONAL"]}, securityPolicy="TLS_1_2")
        # partner-api caches responses, unencrypted.
        api.update_stage(restApiId=partner, stageName="v1", patchOperations=self.cache_patches(encrypted=False))

        eu = self.client("apigateway", "eu-west-1")
        eu_api = eu.create_rest_api(name="eu-orders-api", endpointConfiguration={"types": ["REGIONAL"]})["id"]
        eroot = eu.get_resources(restApiId=eu_api)["items"][0]["id"]
        eres = eu.create_resource(restApiId=eu_api, parentId=eroot, pathPart="orders")["id"]
        self.rest_method(eu, "eu-west-1", eu_api, eres, "GET", auth="AWS_IAM", function_arn=fns["eu-orders"])
        eu.create_deployment(restApiId=eu_api, stageName="prod")
        # Look-alikes: a cache whose data is encrypted, and X-Ray tracing on.
        eu.update_stage(
            restApiId=eu_api, stageName="prod",
            patchOperations=self.cache_patches(encrypted=True) + [
                {"op": "replace", "path": "/tracingEnabled", "value": "true"},
                {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:eu-orders-api-access"},
                {"op": "replace", "path": "/accessLogSettings/format", "value": "$context.requestId"},
            ],
        )

    # ---- API Gateway HTTP / WebSocket ------------------------------------------------------------------------
    def seed_http(self, fns: dict[str, str]) -> None:
        v2 = self.client("apigatewayv2", "us-east-1")
        http = v2.create_api(Name="payments-http", ProtocolType="HTTP")["ApiId"]
        jwt = v2.create_authorizer(
            ApiId=http, Name="cognito", AuthorizerType="JWT", IdentitySource=["$request.header.Authorization"],
            JwtConfiguration={"Audience": ["payments"], "Issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_demo"},
        )["AuthorizerId"]
        pay = v2.create_integration(ApiId=http, IntegrationType="AWS_PROXY", IntegrationUri=fns["payments"], PayloadFormatVersion="2.0")["IntegrationId"]
        orders = v2.create_integration(
            ApiId=http, IntegrationType="AWS_PROXY", PayloadFormatVersion="2.0",
            IntegrationUri=self.lambda_uri("us-east-1", fns["orders"]),
        )["IntegrationId"]
        v2.create_route(ApiId=http, RouteKey="POST /pay", AuthorizationType="JWT", AuthorizerId=jwt, Target=f"integrations/{pay}")
        v2.create_route(ApiId=http, RouteKey="GET /status", AuthorizationType="NONE", Target=f"integrations/{pay}")
        v2.create_route(ApiId=http, RouteKey="GET /orders", AuthorizationType="AWS_IAM", Target=f"integrations/{orders}")
        v2.create_stage(ApiId=http, StageName="$default", AutoDeploy=True)
        v2.create_stage(
            ApiId=http, StageName="prod",
            AccessLogSettings={"DestinationArn": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:payments-http", "Format": "$context.requestId"},
        )

        ws = v2.create_api(Name="notifications-ws", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")["ApiId"]
        ws_int = v2.create_integration(ApiId=ws, IntegrationType="AWS_PROXY", IntegrationUri=self.lambda_uri("us-east-1", fns["webhook"]))["IntegrationId"]
        v2.create_route(ApiId=ws, RouteKey="$connect", AuthorizationType="NONE", Target=f"integrations/{ws_int}")
        v2.create_route(ApiId=ws, RouteKey="sendmessage", ApiKeyRequired=True, Target=f"integrations/{ws_int}")
        v2.create_stage(ApiId=ws, StageName="live")

        eu = self.client("apigatewayv2", "eu-west-1")
        eu_http = eu.create_api(Name="thumbnails-http", ProtocolType="HTTP")["ApiId"]
        thumb = eu.create_integration(ApiId=eu_http, IntegrationType="AWS_PROXY", IntegrationUri=fns["thumbnailer"], PayloadFormatVersion="2.0")["IntegrationId"]
        eu.create_route(ApiId=eu_http, RouteKey="POST /thumbnails", AuthorizationType="AWS_IAM", Target=f"integrations/{thumb}")
        eu.create_stage(ApiId=eu_http, StageName="$default", AutoDeploy=True)

    # ---- KMS, Secrets Manager, Parameter Store ---------------------------------------------------------------
    def key(self, region: str, alias: str, *, rotate=False, policy=None, **kwargs) -> str:
        kms = self.client("kms", region)
        key = kms.create_key(Description=alias, **kwargs)["KeyMetadata"]
        kms.create_alias(AliasName=f"alias/{alias}", TargetKeyId=key["KeyId"])
        if rotate:
            kms.enable_key_rotation(KeyId=key["KeyId"])
        if policy:
            kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(policy))
        return key["Arn"]

    def seed_kms(self) -> dict[str, str]:
        us, keys = "us-east-1", {}
        # Rotating, default policy: the look-alike of kms-key-rotation-disabled.
        keys["orders"] = self.key(us, "orders-data", rotate=True)
        # Rotation off.
        keys["billing"] = self.key(us, "billing-exports")
        # Scheduled for deletion while reports-generator's environment is encrypted with it.
        keys["reports"] = self.key(us, "reports-data")
        # Anyone may decrypt with it.
        keys["shared"] = self.key(
            us, "partner-share", rotate=True,
            policy={"Version": "2012-10-17", "Statement": [
                {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
                {"Sid": "PartnersDecrypt", "Effect": "Allow", "Principal": "*", "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"},
            ]},
        )
        # Principal * limited by kms:CallerAccount and kms:ViaService, as AWS's own key policies are: restricted.
        keys["params"] = self.key(
            us, "app-params", rotate=True,
            policy={"Version": "2012-10-17", "Statement": [
                {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
                {"Sid": "ViaParameterStore", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"], "Resource": "*",
                 "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:ViaService": "ssm.us-east-1.amazonaws.com"}}},
            ]},
        )
        # Signing key: cannot rotate automatically, not a rotation finding.
        keys["signing"] = self.key(us, "webhook-signing", KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
        # Pending deletion, but nothing uses it: fine.
        keys["retired"] = self.key(us, "retired-exports")
        keys["eu"] = self.key("eu-west-1", "eu-orders-data", rotate=True)
        return keys

    def retire_keys(self, keys: dict[str, str]) -> None:
        """Schedules two keys for deletion once their users exist: reports-data still encrypts a secret and
        reports-generator's environment, retired-exports encrypts nothing."""
        kms = self.client("kms", "us-east-1")
        for name in ("reports", "retired"):
            kms.schedule_key_deletion(KeyId=keys[name].rsplit("/", 1)[1], PendingWindowInDays=7)

    def seed_secrets(self, keys: dict[str, str]) -> None:
        us = "us-east-1"
        sm = self.client("secretsmanager", us)
        with freeze_time(days_ago(30)):
            # Young, under a customer key, no rotation: rotation-disabled (the orders role reads it).
            self.client("secretsmanager", us).create_secret(Name="orders-db", SecretString=PLANTED_SECRETS["ORDERS_DB_SECRET"], KmsKeyId="alias/orders-data")
        with freeze_time(days_ago(80)):
            self.client("secretsmanager", us).create_secret(Name="payments/stripe", SecretString=PLANTED_SECRETS["STRIPE_VAULTED"], KmsKeyId=keys["billing"])
        with freeze_time(days_ago(45)):
            # Rotates every 30 days, last rotated 45 days ago: overdue.
            self.client("secretsmanager", us).rotate_secret(SecretId="payments/stripe", RotationRules={"AutomaticallyAfterDays": 30})
        with freeze_time(days_ago(20)):
            # Under reports-data, the key scheduled for deletion.
            self.client("secretsmanager", us).create_secret(Name="reports/slack-webhook", SecretString=PLANTED_SECRETS["SLACK_WEBHOOK_SECRET"], KmsKeyId=keys["reports"])
        # Rotated today: the look-alike of rotation-disabled and rotation-overdue.
        sm.rotate_secret(SecretId="reports/slack-webhook", RotationRules={"AutomaticallyAfterDays": 30})
        with freeze_time(days_ago(200)):
            # Old, never read, never rotated.
            self.client("secretsmanager", us).create_secret(Name="legacy/ftp-password", SecretString=PLANTED_SECRETS["FTP_PASSWORD"])
        sm.create_secret(Name="shared/partner-token", SecretString=PLANTED_SECRETS["PARTNER_TOKEN"])
        sm.rotate_secret(SecretId="shared/partner-token", RotationRules={"AutomaticallyAfterDays": 30})
        sm.put_resource_policy(SecretId="shared/partner-token", ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "AnyPartner", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
        sm.create_secret(Name="shared/org-config", SecretString=PLANTED_SECRETS["ORG_CONFIG"])
        sm.rotate_secret(SecretId="shared/org-config", RotationRules={"AutomaticallyAfterDays": 30})
        sm.put_resource_policy(SecretId="shared/org-config", ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "OrgOnly", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*",
             "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]}))
        # Scheduled for deletion: no rotation finding for a secret on its way out.
        sm.create_secret(Name="old/api-key", SecretString="retired")
        sm.delete_secret(SecretId="old/api-key", RecoveryWindowInDays=7)
        eu = self.client("secretsmanager", "eu-west-1")
        eu.create_secret(Name="eu-orders-db", SecretString=PLANTED_SECRETS["EU_DB_SECRET"], KmsKeyId=keys["eu"])
        eu.rotate_secret(SecretId="eu-orders-db", RotationRules={"AutomaticallyAfterDays": 30})

    def seed_parameters(self, keys: dict[str, str]) -> None:
        ssm = self.client("ssm", "us-east-1")
        ssm.put_parameter(Name="/orders/db/password", Value=PLANTED_SECRETS["SSM_DB_PASSWORD"], Type="String")
        # Look-alikes: configuration about a password, plain configuration, and a SecureString.
        ssm.put_parameter(Name="/orders/db/password-min-length", Value="14", Type="String")
        ssm.put_parameter(Name="/orders/table-name", Value="orders", Type="String")
        ssm.put_parameter(Name="/payments/stripe/api-key", Value=PLANTED_SECRETS["SSM_STRIPE_KEY"], Type="SecureString", KeyId="alias/app-params")
        self.client("ssm", "eu-west-1").put_parameter(Name="/eu/orders/api-token", Value=PLANTED_SECRETS["SSM_EU_TOKEN"] + ",second", Type="StringList")

    # ---- the benchmark's bulk ----------------------------------------------------------------------------
    # CIS v3.0 4.x patterns as teams really write them: clauses reordered, re-quoted, or broader than the text.
    ROOT_USAGE = '{$.eventType != "AwsServiceEvent" && $.userIdentity.invokedBy NOT EXISTS && $.userIdentity.type = "Root"}'
    TRAIL_CHANGES = "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }"
    IAM_CHANGES = "{($.eventName=PutRolePolicy)||($.eventName=DeleteRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=DeleteGroupPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}"
    UNAUTHORIZED = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
    KMS_CHANGES = "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion))}"
    # Two of the five events CIS 4.5 asks for: a near miss.
    NETWORK_PARTIAL = "{ ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }"

    def seed_monitoring(self) -> None:
        """The audit trail and what watches it: a multi-region trail (home us-east-1, a shadow in eu-west-1) with
        Lambda data events for eu-west-1 functions only, delivering to a log group with CIS metric filters (some
        alarmed, one alarm muted, the rest missing), a stopped legacy trail in eu-west-1, and log groups with and
        without retention."""
        us, eu = "us-east-1", "eu-west-1"
        s3 = self.client("s3")
        s3.create_bucket(Bucket="acme-audit-trail")
        s3.create_bucket(Bucket="acme-legacy-trail", CreateBucketConfiguration={"LocationConstraint": eu})
        trail_key = self.key(us, "audit-trail", rotate=True)
        logs = self.client("logs", us)
        logs.create_log_group(logGroupName="/aws/cloudtrail/audit")
        logs.put_retention_policy(logGroupName="/aws/cloudtrail/audit", retentionInDays=365)
        sns = self.client("sns", us)
        topic = sns.create_topic(Name="security-alerts")["TopicArn"]

        ct = self.client("cloudtrail", us)
        ct.create_trail(
            Name="audit", S3BucketName="acme-audit-trail", IsMultiRegionTrail=True, EnableLogFileValidation=True,
            IncludeGlobalServiceEvents=True, KmsKeyId=trail_key,
            CloudWatchLogsLogGroupArn=f"arn:aws:logs:{us}:{ACCOUNT}:log-group:/aws/cloudtrail/audit:*",
            CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/cloudtrail-to-cloudwatch",
        )
        ct.put_event_selectors(
            TrailName="audit",
            AdvancedEventSelectors=[
                {"Name": "Management events", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
                {
                    "Name": "Invocations of the EU functions",
                    "FieldSelectors": [
                        {"Field": "eventCategory", "Equals": ["Data"]},
                        {"Field": "resources.type", "Equals": ["AWS::Lambda::Function"]},
                        {"Field": "resources.ARN", "StartsWith": [f"arn:aws:lambda:{eu}:{ACCOUNT}:function:"]},
                    ],
                },
            ],
        )
        ct.start_logging(Name="audit")
        # A single-region trail someone stopped: no validation, no KMS key, no CloudWatch Logs.
        legacy = self.client("cloudtrail", eu)
        legacy.create_trail(Name="eu-legacy", S3BucketName="acme-legacy-trail")
        legacy.stop_logging(Name="eu-legacy")

        cw = self.client("cloudwatch", us)
        filters = [
            ("root-usage", self.ROOT_USAGE, "RootAccountUsage", True),
            ("trail-changes", self.TRAIL_CHANGES, "CloudTrailChanges", True),
            ("iam-policy-changes", self.IAM_CHANGES, "IAMPolicyChanges", True),
            ("unauthorized-calls", self.UNAUTHORIZED, "UnauthorizedAPICalls", True),
            # The alarm exists but its actions are off: nobody would be told.
            ("kms-key-changes", self.KMS_CHANGES, "KMSKeyChanges", False),
            ("security-group-changes", self.NETWORK_PARTIAL, "SecurityGroupChanges", True),
        ]
        for name, pattern, metric, actions in filters:
            logs.put_metric_filter(
                logGroupName="/aws/cloudtrail/audit", filterName=name, filterPattern=pattern,
                metricTransformations=[{"metricName": metric, "metricNamespace": "CISBenchmark", "metricValue": "1"}],
            )
            cw.put_metric_alarm(
                AlarmName=name, MetricName=metric, Namespace="CISBenchmark", Statistic="Sum", Period=300,
                EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
                AlarmActions=[topic], ActionsEnabled=actions,
            )

        # Function and stage log groups: some never expire.
        for region, group, retention in [
            (us, "/aws/lambda/payments-processor", None),
            (us, "/aws/lambda/public-webhook", None),
            (us, "/aws/lambda/reports-generator", 30),
            (us, "orders-api-access", 90),
            (us, "payments-http", None),
            (eu, "/aws/lambda/eu-orders-api", 30),
            (eu, "eu-orders-api-access", 30),
            # Nothing writes here: not a finding, however long it keeps its events.
            (us, "/ops/scratch", None),
        ]:
            client = self.client("logs", region)
            client.create_log_group(logGroupName=group)
            if retention:
                client.put_retention_policy(logGroupName=group, retentionInDays=retention)

    # ---- Events: SNS, SQS, EventBridge, event source mappings ------------------------------------------------
    def seed_events(self) -> None:
        us = "us-east-1"
        sns, sqs, events, lam = (self.client(s, us) for s in ("sns", "sqs", "events", "lambda"))
        # A function that fulfils orders from a queue, with a role that can attach any policy to a role.
        role = self.role(
            "order-fulfilment-role",
            self.lambda_trust(),
            inline={"fulfil": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"], "Resource": "*"},
                {"Sid": "ManageOwnRole", "Effect": "Allow", "Action": ["iam:AttachRolePolicy", "iam:GetRole"], "Resource": "*"},
            ]}},
        )
        self.function(us, "order-fulfilment", role, "python3.12", tracing="Active")
        self.function(us, "billing-notifier", role, "python3.12", tracing="Active")
        small = self.role("export-worker-role", self.lambda_trust(), managed=["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"])
        self.function(us, "export-worker", small, "python3.12", tracing="Active")

        # The chain: anyone may publish to orders-events, which fans out to orders-intake, which feeds
        # order-fulfilment (whose role can escalate).
        orders = sns.create_topic(Name="orders-events")["TopicArn"]
        sns.set_topic_attributes(TopicArn=orders, AttributeName="Policy", AttributeValue=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Sid": "PartnersPublish", "Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Resource": orders}],
        }))
        intake_url = sqs.create_queue(QueueName="orders-intake")["QueueUrl"]
        intake = sqs.get_queue_attributes(QueueUrl=intake_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sqs.set_queue_attributes(QueueUrl=intake_url, Attributes={"SqsManagedSseEnabled": "true", "Policy": json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Sid": "FromOrdersTopic", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                           "Action": "sqs:SendMessage", "Resource": intake, "Condition": {"ArnEquals": {"aws:SourceArn": orders}}}],
        })})
        sns.subscribe(TopicArn=orders, Protocol="sqs", Endpoint=intake)
        lam.create_event_source_mapping(EventSourceArn=intake, FunctionName="order-fulfilment", BatchSize=10)

        # Look-alike: the console's default topic policy (this account only), a key, and a grant to SNS for
        # that topic alone, in front of the same privileged role.
        alerts = sns.create_topic(Name="billing-alerts", Attributes={"KmsMasterKeyId": "alias/aws/sns"})["TopicArn"]
        lam.add_permission(FunctionName="billing-notifier", StatementId="from-billing-alerts", Action="lambda:InvokeFunction",
                           Principal="sns.amazonaws.com", SourceArn=alerts)
        sns.subscribe(TopicArn=alerts, Protocol="lambda", Endpoint=f"arn:aws:lambda:{us}:{ACCOUNT}:function:billing-notifier")

        # A queue anyone may send to and read from, without encryption; nothing consumes it.
        drop_url = sqs.create_queue(QueueName="audit-drop", Attributes={"SqsManagedSseEnabled": "false"})["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=drop_url, Attributes={"Policy": json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Sid": "Anyone", "Effect": "Allow", "Principal": {"AWS": "*"},
                           "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"], "Resource": "*"}],
        })})

        # The default bus accepts events from anyone; its export-requests rule runs the export worker (whose
        # role holds only the basic execution policy). Look-alike: the scheduled nightly-export rule, which no
        # event can set off.
        events.put_permission(EventBusName="default", Action="events:PutEvents", Principal="*", StatementId="AnyoneMayPut")
        worker = f"arn:aws:lambda:{us}:{ACCOUNT}:function:export-worker"
        for name, trigger in (("export-requests", {"EventPattern": json.dumps({"source": ["acme.exports"]})}),
                              ("nightly-export", {"ScheduleExpression": "cron(0 2 * * ? *)"})):
            rule = events.put_rule(Name=name, State="ENABLED", **trigger)["RuleArn"]
            events.put_targets(Rule=name, Targets=[{"Id": "export", "Arn": worker}])
            lam.add_permission(FunctionName="export-worker", StatementId=f"from-{name}", Action="lambda:InvokeFunction",
                               Principal="events.amazonaws.com", SourceArn=rule)

        # Look-alike: a partner bus shared with the organization only, routed to the privileged notifier.
        partner = events.create_event_bus(Name="partner-events")["EventBusArn"]
        events.put_permission(EventBusName="partner-events", Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Sid": "Organization", "Effect": "Allow", "Principal": "*", "Action": "events:PutEvents",
                           "Resource": partner, "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}],
        }))
        sync = events.put_rule(Name="partner-sync", EventBusName="partner-events", EventPattern=json.dumps({"source": ["acme.partners"]}))["RuleArn"]
        events.put_targets(Rule="partner-sync", EventBusName="partner-events",
                           Targets=[{"Id": "notify", "Arn": f"arn:aws:lambda:{us}:{ACCOUNT}:function:billing-notifier"}])
        lam.add_permission(FunctionName="billing-notifier", StatementId="from-partner-sync", Action="lambda:InvokeFunction",
                           Principal="events.amazonaws.com", SourceArn=sync)

        # The confused deputy: any account's bucket may trigger thumbnailer (no source condition).
        self.client("lambda", "eu-west-1").add_permission(
            FunctionName="thumbnailer", StatementId="s3-uploads", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com"
        )

    def seed_bulk(self, functions: int, roles: int, rest_apis: int) -> None:
        iam = self.client("iam")
        role_arns = []
        for i in range(roles):
            arn = iam.create_role(RoleName=f"bulk-role-{i:04d}", AssumeRolePolicyDocument=json.dumps(self.lambda_trust()))["Role"]["Arn"]
            if i % 4 == 0:
                iam.put_role_policy(
                    RoleName=f"bulk-role-{i:04d}", PolicyName="table",
                    PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}]}),
                )
            role_arns.append(arn)
        for i in range(functions):
            region = REGIONS[i % 2]
            self.function(region, f"bulk-fn-{i:04d}", role_arns[i % len(role_arns)], "python3.12", env={"INDEX": str(i)})
        # Secrets, parameters and keys, a tenth of the functions each: the scan benchmark pages through them.
        for i in range(functions // 10):
            region = REGIONS[i % 2]
            self.client("secretsmanager", region).create_secret(Name=f"bulk/secret-{i:04d}", SecretString="bulk")
            self.client("ssm", region).put_parameter(Name=f"/bulk/param-{i:04d}", Value="bulk", Type="String")
            if i % 2 == 0:
                self.client("kms", region).create_key(Description=f"bulk-key-{i:04d}")
        for i in range(rest_apis):
            region = REGIONS[i % 2]
            api = self.client("apigateway", region)
            api_id = api.create_rest_api(name=f"bulk-api-{i:03d}")["id"]
            root = api.get_resources(restApiId=api_id)["items"][0]["id"]
            for part in ("items", "users"):
                rid = api.create_resource(restApiId=api_id, parentId=root, pathPart=part)["id"]
                self.rest_method(api, region, api_id, rid, "GET")
            api.create_deployment(restApiId=api_id, stageName="prod")

    def seed(self, account: str) -> None:
        self.seed_aged_iam()
        keys = self.seed_kms()
        roles = self.seed_iam(keys)
        fns = self.seed_lambda(roles, keys)
        self.seed_rest(fns)
        self.seed_http(fns)
        self.seed_secrets(keys)
        self.seed_parameters(keys)
        self.seed_monitoring()
        self.seed_events()
        self.retire_keys(keys)
        if account == "large":
            self.seed_bulk(functions=500, roles=800, rest_apis=100)
        elif account == "huge":
            self.seed_bulk(functions=10_000, roles=10_000, rest_apis=100)


def fix_bob_mfa(seeder: Seeder) -> None:
    """bob gets an MFA device: his console access is no longer password-only."""
    iam = seeder.client("iam")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="bob-mfa")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="bob", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321")


def open_orders_url(seeder: Seeder) -> None:
    """orders-api gets a function URL without authentication (and no public permission yet)."""
    seeder.client("lambda").create_function_url_config(FunctionName="orders-api", AuthType="NONE")


def lock_down_payments(seeder: Seeder) -> None:
    """payments-processor reads its secrets from Secrets Manager and is no longer invocable by anyone; the
    payments/stripe secret is rotated at last."""
    seeder.client("secretsmanager").rotate_secret(SecretId="payments/stripe", RotationRules={"AutomaticallyAfterDays": 30})
    lam = seeder.client("lambda")
    lam.update_function_configuration(
        FunctionName="payments-processor",
        Environment={"Variables": {"DB_SECRET_ARN": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:payments-AbCdEf", "STAGE": "prod"}},
    )
    lam.remove_permission(FunctionName="payments-processor", StatementId="public-invoke")


def remove_root_alarm(seeder: Seeder) -> None:
    """The root-usage alarm is deleted in a clean-up: CIS 4.3 is no longer met."""
    seeder.client("cloudwatch").delete_alarms(AlarmNames=["root-usage"])


def stop_audit_trail(seeder: Seeder) -> None:
    """Someone stops the audit trail: the account's API activity is no longer recorded or watched."""
    seeder.client("cloudtrail").stop_logging(Name="audit")


def subscribe_billing_to_orders(seeder: Seeder) -> None:
    """Billing subscribes its notifier to the public orders topic: a new subscription, and a new path."""
    us = "us-east-1"
    topic = f"arn:aws:sns:{us}:{ACCOUNT}:orders-events"
    seeder.client("lambda", us).add_permission(
        FunctionName="billing-notifier", StatementId="from-orders-events", Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com", SourceArn=topic,
    )
    seeder.client("sns", us).subscribe(TopicArn=topic, Protocol="lambda", Endpoint=f"arn:aws:lambda:{us}:{ACCOUNT}:function:billing-notifier")


CHANGES = {"subscribe-billing-to-orders": subscribe_billing_to_orders, "stop-audit-trail": stop_audit_trail, "remove-root-alarm": remove_root_alarm, "fix-bob-mfa": fix_bob_mfa, "open-orders-url": open_orders_url, "lock-down-payments": lock_down_payments}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start moto, seed it, serve until stdin closes")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port")
    serve.add_argument("--account", choices=("demo", "large", "huge", "empty", "org", "org-bench"), default="demo")
    serve.add_argument("--org-accounts", type=int, default=20, help="org-bench: member accounts")
    serve.add_argument("--deny-assume", action="append", default=[], metavar="ACCOUNT")
    serve.add_argument("--latency-ms", type=int, default=0)
    serve.add_argument("--deny", action="append", default=[], metavar="SERVICE")
    serve.add_argument("--disable-region", action="append", default=[], metavar="REGION")
    sub.add_parser("secrets", help="print the planted secret values as JSON (for tests)")
    change = sub.add_parser("change", help="apply named changes to a running demo account (a later state of it)")
    change.add_argument("endpoint")
    change.add_argument("changes", nargs="+", choices=sorted(CHANGES))
    args = parser.parse_args()

    if args.command == "secrets":
        print(json.dumps(PLANTED_SECRETS))
        return 0
    if args.command == "change":
        seeder = Seeder(args.endpoint)
        for name in args.changes:
            CHANGES[name](seeder)
            print(f"applied {name}", file=sys.stderr)
        return 0

    layer = EmulatorLayer(DomainDispatcherApplication(create_backend_app), 0, set())
    server = make_server(args.host, args.port, layer, threaded=True)
    host, port = server.server_address[:2]
    endpoint = f"http://{host}:{port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()

    started = time.monotonic()
    if args.account == "org":
        import demo_org

        demo_org.seed_org(Seeder(endpoint).in_account)
    elif args.account == "org-bench":
        import demo_org

        demo_org.seed_bench_org(Seeder(endpoint).in_account, args.org_accounts)
    elif args.account != "empty":
        Seeder(endpoint).seed(args.account)
    # Latency and denials apply to the scanner, not to seeding.
    layer.latency = args.latency_ms / 1000.0
    layer.denied = set(args.deny)
    layer.disabled_regions = set(args.disable_region)
    layer.denied_assume = set(args.deny_assume)
    layer.reset()
    print(f"seeded {args.account} account in {time.monotonic() - started:.1f}s", file=sys.stderr)
    print(f"READY {endpoint}", flush=True)

    try:
        sys.stdin.read()  # serve until the parent closes our stdin (or kills us)
    except KeyboardInterrupt:
        pass
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
