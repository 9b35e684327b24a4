//! The overview's own keys: Enter opens the findings.

use super::{Action, App, View};

pub(super) fn handle(app: &mut App, action: &Action) -> bool {
    match action {
        Action::Open => {
            app.go(View::Findings);
            true
        }
        _ => false,
    }
}
