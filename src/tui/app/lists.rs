//! The finding lists' own keys (findings, attack paths, the comparison's tabs): Enter opens the selected
//! finding, Tab switches the comparison's tab, `m` mutes the selected finding.

use super::{Action, App, CompareTab, View};

pub(super) fn handle(app: &mut App, action: &Action) -> bool {
    match action {
        Action::Open => {
            if let Some(finding) = app.shown().get(app.selected).map(|f| (*f).clone()) {
                app.open_detail(finding);
            }
            true
        }
        Action::NextTab if app.view == View::Compare => {
            app.compare_tab = match app.compare_tab {
                CompareTab::New => CompareTab::Resolved,
                CompareTab::Resolved => CompareTab::Changed,
                CompareTab::Changed => CompareTab::Drift,
                CompareTab::Drift => CompareTab::New,
            };
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
