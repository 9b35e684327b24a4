"""The stance demo organization, seeded into the moto server of demo_account.py (`serve --account org`).

    management  123456789012  Root                  the caller; SCPs never bind it
    prod        210000000001  Root/workloads        ops-admin (admin) trusts the sandbox account;
                                                    deploy-admin (admin) trusts sandbox's reporting role only;
                                                    ci-builder can escalate (no SCP here); vendor-access trusts
                                                    an account outside the organization without an external id
    sandbox     210000000002  Root/sandbox          SCP DenyIAM (iam:*) on the OU; playground-api has a function
                                                    URL anyone may call, and its role (AdministratorAccess on
                                                    paper) may assume prod's ops-admin: the cross-account path;
                                                    sandbox-builder's escalation is blocked by the SCP;
                                                    reporting (no way in) may assume prod's deploy-admin: the
                                                    look-alike that is not a path
    shared      210000000003  Root/workloads        its member role is denied (serve --deny-assume 210000000003)

Account, OU and policy ids are fixed (moto draws them at random), so a recording is reproducible.
"""

from __future__ import annotations

import itertools
import json

import moto.organizations.utils as org_utils

MANAGEMENT = "123456789012"
PROD = "210000000001"
SANDBOX = "210000000002"
SHARED = "210000000003"
OUTSIDE = "999999999999"
MEMBER_ROLE = "OrganizationAccountAccessRole"
REGION = "us-east-1"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def fix_ids() -> None:
    """moto draws organization ids at random; the demo's are fixed."""
    # The first draw is the management account's, which moto then replaces with the caller's.
    accounts = iter([MANAGEMENT, PROD, SANDBOX, SHARED])
    units = itertools.count(1)
    policies = itertools.count(1)
    org_utils.make_random_org_id = lambda: "o-stancedemo"
    org_utils.make_random_root_id = lambda: "r-demo"
    org_utils.make_random_account_id = lambda: next(accounts)
    org_utils.make_random_ou_id = lambda root_id: f"ou-demo-{next(units):08d}"
    org_utils.make_random_policy_id = lambda: f"p-demo{next(policies):04d}"


def trust(principal: str, **condition) -> dict:
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def allow(action, resource="*") -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}


def seed_org(seeder_for) -> None:
    """`seeder_for(account)` gives a demo_account.Seeder acting in that account."""
    fix_ids()
    management = seeder_for(MANAGEMENT)
    org = management.client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    workloads = org.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]["Id"]
    sandbox_ou = org.create_organizational_unit(ParentId=root, Name="sandbox")["OrganizationalUnit"]["Id"]
    for name, ou in (("prod", workloads), ("sandbox", sandbox_ou), ("shared-services", workloads)):
        account = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]["AccountId"]
        org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou)
    deny_iam = {"Version": "2012-10-17", "Statement": [{"Sid": "NoIAM", "Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}
    policy = org.create_policy(
        Content=json.dumps(deny_iam), Description="Sandboxes never touch IAM", Name="DenyIAM", Type="SERVICE_CONTROL_POLICY"
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=policy, TargetId=sandbox_ou)

    management.role("org-auditor", trust(f"arn:aws:iam::{MANAGEMENT}:root"), managed=["arn:aws:iam::aws:policy/ReadOnlyAccess"])

    prod = seeder_for(PROD)
    prod.role("ops-admin", trust(f"arn:aws:iam::{SANDBOX}:root"), managed=[ADMIN])
    prod.role("deploy-admin", trust(f"arn:aws:iam::{SANDBOX}:role/reporting"), managed=[ADMIN])
    prod.role("ci-builder", trust(f"arn:aws:iam::{PROD}:root"), inline={"publish": allow(["iam:CreatePolicyVersion", "s3:ListBucket"])})
    prod.role("vendor-access", trust(f"arn:aws:iam::{OUTSIDE}:root"), managed=["arn:aws:iam::aws:policy/ReadOnlyAccess"])
    prod.role("orders-role", prod.lambda_trust(), inline={"logs": allow("logs:PutLogEvents")})
    prod.function(REGION, "orders", f"arn:aws:iam::{PROD}:role/orders-role", "python3.12", tracing="Active")

    sandbox = seeder_for(SANDBOX)
    playground_role = sandbox.role(
        "playground-role", sandbox.lambda_trust(), managed=[ADMIN],
    )
    sandbox.role("sandbox-builder", trust(f"arn:aws:iam::{SANDBOX}:root"), inline={"publish": allow(["iam:CreatePolicyVersion", "s3:ListBucket"])})
    reporting_role = sandbox.role(
        "reporting", sandbox.lambda_trust(),
        inline={"deploy": allow("sts:AssumeRole", f"arn:aws:iam::{PROD}:role/deploy-admin")},
    )
    sandbox.function(REGION, "playground-api", playground_role, "python3.12", tracing="Active")
    lam = sandbox.client("lambda", REGION)
    lam.create_function_url_config(FunctionName="playground-api", AuthType="NONE")
    lam.add_permission(
        FunctionName="playground-api", StatementId="public-url", Action="lambda:InvokeFunctionUrl",
        Principal="*", FunctionUrlAuthType="NONE",
    )
    sandbox.function(REGION, "nightly-report", reporting_role, "python3.12", tracing="Active")

    shared = seeder_for(SHARED)
    shared.role("build-runner", shared.lambda_trust(), inline={"logs": allow("logs:PutLogEvents")})


def seed_bench_org(seeder_for, members: int) -> None:
    """The organization benchmark: `members` member accounts with the same small estate each (roles,
    functions, a REST API, a topic and a queue), so every account's scan takes about as long."""
    bench_ids = iter([MANAGEMENT] + [f"3{i:011d}" for i in range(1, members + 1)])
    org_utils.make_random_account_id = lambda: next(bench_ids)
    management = seeder_for(MANAGEMENT)
    org = management.client("organizations")
    org.create_organization(FeatureSet="ALL")
    accounts = [
        org.create_account(AccountName=f"bench-{i:02d}", Email=f"bench-{i:02d}@example.com")["CreateAccountStatus"]["AccountId"]
        for i in range(1, members + 1)
    ]
    for account in accounts:
        seeder = seeder_for(account)
        for i in range(4):
            role = seeder.role(f"fn-role-{i}", seeder.lambda_trust(), inline={"logs": allow("logs:PutLogEvents")})
            seeder.function(REGION, f"fn-{i}", role, "python3.12")
        api = seeder.client("apigateway", REGION)
        api_id = api.create_rest_api(name="bench-api")["id"]
        root = api.get_resources(restApiId=api_id)["items"][0]["id"]
        seeder.rest_method(api, REGION, api_id, root, "GET")
        api.create_deployment(restApiId=api_id, stageName="prod")
        seeder.client("sns", REGION).create_topic(Name="bench-events")
        seeder.client("sqs", REGION).create_queue(QueueName="bench-jobs")
