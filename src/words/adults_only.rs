//! Words for the `adults_only` rule.

use super::Text;
use crate::clinical::rules::adults_only::Found;

pub fn render(f: &Found) -> Text {
    Text::from(f)
}
