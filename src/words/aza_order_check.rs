//! Words for the `aza_order_check` rule.

use super::Text;
use crate::clinical::rules::aza_order_check::Found;

pub fn render(f: &Found) -> Text {
    Text::from(f)
}
