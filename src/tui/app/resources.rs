//! The resources view's own keys: Enter lists the selected resource's findings.

use super::{Action, App, View};

pub(super) fn handle(app: &mut App, action: &Action) -> bool {
    match action {
        Action::Open => {
            if let Some(row) = app.resources.get(app.selected) {
                app.search = row.arn.to_lowercase();
                app.go(View::Findings);
            }
            true
        }
        _ => false,
    }
}
