//! Words for the `suspected_renal_crisis` rule.

use super::Text;
use crate::clinical::rules::suspected_renal_crisis::Found;

pub fn render(f: &Found) -> Text {
    Text::from(f)
}
