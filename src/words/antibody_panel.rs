//! Words for the `antibody_panel` rule.

use super::Text;
use crate::clinical::rules::antibody_panel::Found;

pub fn render(f: &Found) -> Text {
    Text::from(f)
}
