//! Words for the `mtx_order_check` rule.

use super::Text;
use crate::clinical::rules::mtx_order_check::Found;

pub fn render(f: &Found) -> Text {
    Text::from(f)
}
