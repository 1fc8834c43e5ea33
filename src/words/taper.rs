//! Words for the `taper` rule.

use super::Text;
use crate::clinical::rules::taper::Found;

pub fn render(f: &Found) -> Text {
    Text::from(f)
}
