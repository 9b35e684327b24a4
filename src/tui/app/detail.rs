//! The finding detail's own keys: the movement keys scroll it, Tab selects one of the findings an attack
//! path chains and Enter opens it, `m` mutes the finding shown.

use super::{Action, App};

pub(super) fn handle(app: &mut App, action: &Action) -> bool {
    let max = app.detail_max_scroll;
    let page = u16::try_from(app.page).unwrap_or(u16::MAX);
    app.detail_scroll = match action {
        Action::Up => app.detail_scroll.saturating_sub(1),
        Action::Down => app.detail_scroll.saturating_add(1).min(max),
        Action::PageUp => app.detail_scroll.saturating_sub(page),
        Action::PageDown => app.detail_scroll.saturating_add(page).min(max),
        Action::Top => 0,
        Action::Bottom => max,
        Action::Mute => {
            let finding = app.detail.clone();
            app.start_mute(finding);
            return true;
        }
        Action::NextTab | Action::PrevTab if !app.detail_parts.is_empty() => {
            // Round the parts and "none selected": Tab forward, Shift-Tab back.
            let slots = app.detail_parts.len() + 1;
            let at = app.detail_part.map_or(0, |i| i + 1);
            let step = if *action == Action::NextTab { 1 } else { slots - 1 };
            app.detail_part = ((at + step) % slots).checked_sub(1);
            return true;
        }
        Action::Open if app.detail_part.is_none() => {
            app.status = if app.detail_parts.is_empty() {
                "Enter opens a list's row: Esc goes back to the list".into()
            } else {
                "Tab selects a chained finding for Enter to open".into()
            };
            return true;
        }
        Action::Open => {
            app.open_selected_part();
            return true;
        }
        _ => return false,
    };
    true
}
