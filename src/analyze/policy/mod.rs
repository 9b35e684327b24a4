//! The IAM policy engine: a typed model of policy documents, the action catalogue, effective permissions,
//! privilege-escalation combinations, and who trust and resource policies admit.

pub mod catalogue;
pub mod escalation;
pub mod model;
pub mod permissions;
pub mod principals;

pub use catalogue::{AccessLevel, ActionSet, Catalogue, catalogue};
pub use model::{ActionClause, Condition, Effect, Policy, PrincipalClause, Principals, ResourceClause, Statement};
pub use permissions::{Capability, Expander, Grant, LevelSets, Permissions, PolicySource};
pub use principals::{Admission, Admits, Opening, TrustHop, Who, admissions, admits_caller, openings};
