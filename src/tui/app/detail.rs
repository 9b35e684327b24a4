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
        Action::NextTab if !app.detail_parts.is_empty() => {
            app.detail_part = match app.detail_part {
                None => Some(0),
                Some(i) if i + 1 < app.detail_parts.len() => Some(i + 1),
                Some(_) => None,
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
