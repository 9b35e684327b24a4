//! The overview's own keys: the movement keys select a top risk, Enter opens it, `m` mutes it.

use super::{Action, App};

pub(super) fn handle(app: &mut App, action: &Action) -> bool {
    let last = app.top_risks().count().saturating_sub(1);
    match action {
        Action::Open => {
            let finding = app.top_risks().nth(app.selected).cloned();
            if let Some(finding) = finding {
                app.open_detail(finding);
            }
        }
        Action::Mute => {
            let finding = app.top_risks().nth(app.selected).cloned();
            app.start_mute(finding);
        }
        Action::Down => app.selected = (app.selected + 1).min(last),
        Action::PageDown => app.selected = (app.selected + app.page).min(last),
        Action::Bottom => app.selected = last,
        _ => return false,
    }
    true
}
