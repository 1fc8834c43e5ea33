//! Words for the `renal_crisis_risk` rule.

use super::Text;
use crate::clinical::rules::renal_crisis_risk::Found;

pub fn render(f: &Found) -> Text {
    Text::from(f)
}
