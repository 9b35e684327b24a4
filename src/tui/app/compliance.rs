//! The compliance views' own keys: Enter on a framework lists its controls; Enter on a control lists the
//! findings that fail it (or, for a pass with exceptions, the muted ones), in the findings view, one level
//! down; Esc comes back and that list is whole again.

use super::{Action, App, ListFilter, View};

pub(super) fn handle(app: &mut App, action: &Action) -> bool {
    match action {
        Action::Open if app.view == View::Compliance => {
            if let Some(&framework) = app.visible.get(app.selected) {
                app.framework = framework;
                app.filters.remove(&View::Controls);
                app.go(View::Controls);
            }
            true
        }
        Action::Open => {
            let Some((index, control)) = app.shown_controls().nth(app.selected) else { return true };
            if control.findings == 0 {
                let why = if control.why.is_empty() { "no finding fails it" } else { control.why.as_str() };
                app.status = format!("{} {}: {why}", control.id, control.status.label());
                return true;
            }
            let control = Some((app.framework, index));
            app.filters.insert(View::Findings, ListFilter { control, ..ListFilter::default() });
            app.go(View::Findings);
            true
        }
        Action::Mute => {
            app.status = "m mutes a finding: Enter lists this control's findings".into();
            true
        }
        _ => false,
    }
}
