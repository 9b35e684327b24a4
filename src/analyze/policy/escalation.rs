//! Known privilege-escalation combinations: sets of actions that, held together on all resources, let a
//! principal gain permissions it was not given. From the research of Rhino Security Labs ("AWS IAM
//! Privilege Escalation – Methods and Mitigation"), Cloudsplaining's list and PMapper's edge checks.

use super::catalogue::{ActionSet, Catalogue};

#[derive(Debug)]
pub struct Escalation {
    /// Stable id, used in evidence and fingerprints.
    pub id: &'static str,
    /// Every one of these is needed.
    pub actions: &'static [&'static str],
    /// How the combination is abused, in one sentence.
    pub how: &'static str,
}

impl Escalation {
    pub fn possible(&self, unconstrained: &ActionSet, catalogue: &Catalogue) -> bool {
        self.actions.iter().all(|action| catalogue.lookup(action).is_some_and(|i| unconstrained.contains(i)))
    }
}

macro_rules! escalations {
    ($($id:literal => [$($action:literal),+] : $how:literal;)+) => {
        pub static ESCALATIONS: &[Escalation] = &[$(Escalation { id: $id, actions: &[$($action),+], how: $how }),+];
    };
}

escalations! {
    "iam-create-policy-version" => ["iam:CreatePolicyVersion"]: "create a new default version of a policy attached to itself, with any permissions";
    "iam-set-default-policy-version" => ["iam:SetDefaultPolicyVersion"]: "switch an attached policy to a more permissive old version";
    "iam-create-access-key" => ["iam:CreateAccessKey"]: "create access keys for another (more privileged) user";
    "iam-create-login-profile" => ["iam:CreateLoginProfile"]: "set a console password on another user and sign in as them";
    "iam-update-login-profile" => ["iam:UpdateLoginProfile"]: "change another user's console password";
    "iam-attach-user-policy" => ["iam:AttachUserPolicy"]: "attach AdministratorAccess to a user";
    "iam-attach-group-policy" => ["iam:AttachGroupPolicy"]: "attach AdministratorAccess to a group it is in";
    "iam-attach-role-policy" => ["iam:AttachRolePolicy"]: "attach AdministratorAccess to a role it can assume or pass";
    "iam-put-user-policy" => ["iam:PutUserPolicy"]: "write an inline policy granting anything to a user";
    "iam-put-group-policy" => ["iam:PutGroupPolicy"]: "write an inline policy granting anything to a group";
    "iam-put-role-policy" => ["iam:PutRolePolicy"]: "write an inline policy granting anything to a role";
    "iam-add-user-to-group" => ["iam:AddUserToGroup"]: "join a more privileged group";
    "iam-update-assume-role-policy" => ["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"]: "rewrite a privileged role's trust policy to admit itself, then assume it";
    "passrole-ec2-run-instances" => ["iam:PassRole", "ec2:RunInstances"]: "launch an instance with a privileged instance profile and use its credentials";
    "passrole-lambda-create-invoke" => ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]: "create a function with a privileged role and invoke it";
    "passrole-lambda-create-event-source" => ["iam:PassRole", "lambda:CreateFunction", "lambda:CreateEventSourceMapping"]: "create a function with a privileged role and trigger it from an event source";
    "passrole-lambda-create-add-permission" => ["iam:PassRole", "lambda:CreateFunction", "lambda:AddPermission"]: "create a function with a privileged role and let itself invoke it";
    "lambda-update-function-code" => ["lambda:UpdateFunctionCode"]: "replace the code of a function that runs with a more privileged role";
    "lambda-update-function-configuration" => ["lambda:UpdateFunctionConfiguration"]: "attach a malicious layer to a function that runs with a more privileged role";
    "passrole-glue-create-dev-endpoint" => ["iam:PassRole", "glue:CreateDevEndpoint"]: "create a Glue development endpoint with a privileged role and log in to it";
    "glue-update-dev-endpoint" => ["glue:UpdateDevEndpoint"]: "add an SSH key to an existing Glue development endpoint and use its role";
    "passrole-cloudformation-create-stack" => ["iam:PassRole", "cloudformation:CreateStack"]: "create a stack that runs with a privileged role and creates anything";
    "passrole-datapipeline" => ["iam:PassRole", "datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition"]: "run commands in a pipeline with a privileged role";
    "passrole-codebuild" => ["iam:PassRole", "codebuild:CreateProject", "codebuild:StartBuild"]: "run a build with a privileged service role";
    "passrole-sagemaker-notebook" => ["iam:PassRole", "sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"]: "open a notebook that runs with a privileged role";
    "passrole-ecs-run-task" => ["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"]: "run a task with a privileged task role";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::policy::catalogue::catalogue;

    #[test]
    fn every_action_named_is_in_the_catalogue() {
        let c = catalogue();
        for escalation in ESCALATIONS {
            for action in escalation.actions {
                assert!(c.lookup(action).is_some(), "{} names unknown action {action}", escalation.id);
            }
        }
        let ids: std::collections::BTreeSet<_> = ESCALATIONS.iter().map(|e| e.id).collect();
        assert_eq!(ids.len(), ESCALATIONS.len(), "ids are unique");
    }
}
