//! Words for the `monitoring` rule.

use super::Text;
use crate::clinical::rules::monitoring::Found;

pub fn render(f: &Found) -> Text {
    Text::from(f)
}
