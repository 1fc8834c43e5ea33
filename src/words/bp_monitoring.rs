//! Words for the `bp_monitoring` rule.

use super::Text;
use crate::clinical::rules::bp_monitoring::Found;

pub fn render(f: &Found) -> Text {
    Text::from(f)
}
