//! Words for the `unreadable_order` rule.

use super::Text;
use crate::clinical::rules::unreadable_order::Found;

pub fn render(f: &Found) -> Text {
    Text::from(f)
}
