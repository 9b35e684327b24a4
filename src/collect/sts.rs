use super::{Ctx, ScanError};
use crate::inventory::{AccountIdentity, arn::partition_of};

/// Who the credentials belong to. Without this nothing else can be trusted, so it is the one fatal call.
pub(crate) async fn caller_identity(ctx: &Ctx, sts: &aws_sdk_sts::Client) -> Result<AccountIdentity, ScanError> {
    let output = ctx
        .send(sts.get_caller_identity().send())
        .await
        .map_err(|failure| ScanError::Identity { kind: failure.kind, message: failure.message })?;
    let caller_arn = output.arn().unwrap_or_default().to_owned();
    Ok(AccountIdentity {
        account_id: output.account().unwrap_or_default().to_owned(),
        partition: partition_of(&caller_arn).unwrap_or("aws").to_owned(),
        caller_arn,
    })
}
