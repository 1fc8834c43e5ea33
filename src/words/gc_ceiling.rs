//! Words for the `gc_ceiling` rule.

use super::Text;
use crate::clinical::rules::gc_ceiling::Found;

pub fn render(f: &Found) -> Text {
    Text::from(f)
}
