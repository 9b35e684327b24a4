//! SSM Parameter Store (per region): every parameter's metadata from DescribeParameters. Never a value:
//! GetParameter, GetParameters, GetParametersByPath and GetParameterHistory are on the guard's never-call list.

use aws_sdk_ssm::Client;
use aws_sdk_ssm::types::ParameterMetadata;

use super::call::timestamp;
use super::{Call, Ctx, Location};
use crate::inventory::arn;
use crate::inventory::ssm::*;

/// DescribeParameters' largest page.
const PAGE: i32 = 50;

pub(crate) async fn collect(ctx: &Ctx, client: &Client, at: &Location<'_>) -> ParameterInventory {
    let listing = client.describe_parameters().max_results(PAGE).into_paginator().send();
    let pages = ctx.pages(Call::new("ssm", at.region, "DescribeParameters"), listing).await.unwrap_or_default();
    let parameters = pages.iter().flat_map(|page| page.parameters()).filter_map(|p| parameter_from(p, at));
    ParameterInventory { parameters: parameters.map(|p| (p.arn.clone(), p)).collect() }
}

/// The fewest requests that give this inventory: a listing page per region, per 50 parameters.
pub(crate) fn minimum_requests(ssm: &ParameterInventory, regions: usize) -> usize {
    super::pages_needed(ssm.parameters.values().map(|p| p.region.as_str()), regions, PAGE as usize)
}

fn parameter_from(metadata: &ParameterMetadata, at: &Location<'_>) -> Option<Parameter> {
    let name = metadata.name()?.to_owned();
    Some(Parameter {
        // Older endpoints (and the emulator) give no ARN: it is built the way AWS writes it.
        arn: metadata
            .arn()
            .map(str::to_owned)
            .unwrap_or_else(|| arn::ssm_parameter(at.partition, at.region, at.account, &name)),
        name,
        region: at.region.to_owned(),
        parameter_type: metadata.r#type().map(|t| t.as_str().to_owned()).unwrap_or_default(),
        key_id: metadata.key_id().map(str::to_owned),
        tier: metadata.tier().map(|t| t.as_str().to_owned()),
        last_modified: metadata.last_modified_date().and_then(timestamp),
        version: metadata.version(),
        data_type: metadata.data_type().map(str::to_owned),
        policies: metadata.policies().iter().filter_map(|p| p.policy_text().map(str::to_owned)).collect(),
    })
}
