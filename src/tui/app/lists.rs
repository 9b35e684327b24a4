//! The finding lists' own keys (findings, attack paths, the comparison's tabs): Enter opens the selected
//! finding, Tab and Shift-Tab switch the comparison's tab, `m` mutes the selected finding.

use super::{Action, App, View};

pub(super) fn handle(app: &mut App, action: &Action) -> bool {
    match action {
        Action::Open => {
            if let Some(finding) = app.shown().get(app.selected).map(|f| (*f).clone()) {
                app.open_detail(finding);
            }
            true
        }
        Action::NextTab | Action::PrevTab if app.view == View::Compare => {
            app.compare_tab = app.compare_tab.cycled(if *action == Action::NextTab { 1 } else { -1 });
            app.selected = 0;
            app.refresh();
            true
        }
        Action::Mute => {
            let finding = app.shown().get(app.selected).map(|f| (*f).clone());
            app.start_mute(finding);
            true
        }
        _ => false,
    }
}
