//! Words for the `mtx_continuation` rule.

use super::Text;
use crate::clinical::rules::mtx_continuation::Found;

pub fn render(f: &Found) -> Text {
    Text::from(f)
}
