//! The resources view's own keys: Enter lists the findings on the selected resource and the attack paths
//! through it, in the findings view, one level down; Esc comes back and that list is whole again.

use super::{Action, App, ListFilter, View};

pub(super) fn handle(app: &mut App, action: &Action) -> bool {
    match action {
        Action::Open => {
            let arn = app.shown_resources().nth(app.selected).map(|r| r.arn.clone());
            if let Some(arn) = arn {
                app.filters.insert(View::Findings, ListFilter { resource: Some(arn), ..ListFilter::default() });
                app.go(View::Findings);
            }
            true
        }
        Action::Mute => {
            app.status = "m mutes a finding: Enter lists this resource's findings".into();
            true
        }
        _ => false,
    }
}
