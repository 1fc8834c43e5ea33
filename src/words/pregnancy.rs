//! Words for the `pregnancy` rule.

use super::Text;
use crate::clinical::rules::pregnancy::Found;

pub fn render(f: &Found) -> Text {
    Text::from(f)
}
