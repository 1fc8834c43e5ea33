//! Words for the `intensify` rule.

use super::Text;
use crate::clinical::rules::intensify::Found;

pub fn render(f: &Found) -> Text {
    Text::from(f)
}
